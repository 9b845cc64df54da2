import type { Request } from 'express';
import type { RequestMeta } from './context';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** Request facts for audit and consent records. `req.ip` already applies the trusted-proxy rule. */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.headers['user-agent'];
  const source = req.headers['x-client-source'];
  const traceparent = req.headers['traceparent'];
  return {
    ip: req.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    clientSource: typeof source === 'string' ? source.trim().toUpperCase().slice(0, 20) : null,
    traceId: typeof traceparent === 'string' ? (TRACEPARENT.exec(traceparent.trim())?.[1] ?? null) : null,
  };
}
