import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { RequestMeta } from './context';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

export type TrustFn = (addr: string, hop: number) => boolean;

/**
 * Which hops may set X-Forwarded-For, compiled once from CUSTOMER_TRUSTED_PROXIES
 * (Express "trust proxy" syntax: `loopback`, CIDRs, comma lists, `false`).
 */
export function compileTrust(setting: string): TrustFn {
  const v = setting.trim().toLowerCase();
  if (v === 'false' || v === 'none' || v === '') return () => false;
  if (v === 'true') return () => true;
  return proxyAddr.compile(setting.split(',').map((s) => s.trim()).filter(Boolean));
}

/** Request facts for audit and consent records. */
export function requestMeta(req: IncomingMessage, trust: TrustFn): RequestMeta {
  const ua = req.headers['user-agent'];
  const source = req.headers['x-client-source'];
  const traceparent = req.headers['traceparent'];
  return {
    ip: req.socket.remoteAddress ? proxyAddr(req, trust) : null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    clientSource: typeof source === 'string' ? source.trim().toUpperCase().slice(0, 20) : null,
    traceId: typeof traceparent === 'string' ? (TRACEPARENT.exec(traceparent.trim())?.[1] ?? null) : null,
  };
}
