import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';
import { activeTraceId } from '../observability/tracing';
import type { RequestMeta } from '../auth/actor';

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
  return proxyAddr.compile(
    setting
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * The client address as audit rows, sessions and consent records store it (PostgreSQL inet), or
 * null: what a trusted proxy forwards in X-Forwarded-For is text ("unknown", an obfuscated
 * name) and must not make the statement that records it fail. A port is dropped, and so is a
 * zone (fe80::1%eth0: an interface of the proxy's host, meaningless here).
 */
export function asIpAddress(forwarded: string): string | null {
  let address = forwarded.trim();
  // Some proxies forward the client's port too: 203.0.113.7:51234, [2001:db8::7]:443.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.replace(/%.*$/, '');
  return isIP(address) ? address : null;
}

/**
 * Request facts for audit and consent records. Computed on first use: reads (most requests)
 * never need them, and resolving the client address through the proxy chain is not free.
 */
export function requestMeta(req: IncomingMessage, trust: TrustFn): RequestMeta {
  let ip: string | null | undefined;
  return {
    get ip() {
      if (ip === undefined) ip = req.socket.remoteAddress ? asIpAddress(proxyAddr(req, trust)) : null;
      return ip;
    },
    get userAgent() {
      const ua = req.headers['user-agent'];
      return typeof ua === 'string' ? ua.slice(0, 512) : null;
    },
    get clientSource() {
      const source = req.headers['x-client-source'];
      return typeof source === 'string' ? source.trim().toUpperCase().slice(0, 20) : null;
    },
    // With tracing on, the trace of the request's span: the caller's (same id as its
    // traceparent) or, without one, the new trace it started. Off: the traceparent's id.
    get traceId() {
      const active = activeTraceId();
      if (active !== null) return active;
      const traceparent = req.headers['traceparent'];
      return typeof traceparent === 'string' ? (TRACEPARENT.exec(traceparent.trim())?.[1] ?? null) : null;
    },
  };
}
