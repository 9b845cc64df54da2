import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for /graphql, for a dashboard served from another origin (in development, say
 * http://localhost:5173 against the subgraph on :8003). Only the origins in
 * CUSTOMER_CORS_ORIGINS; none by default, so a browser on any other page cannot read our
 * answers. Tokens travel in the `authorization` header, never in cookies, so credentials
 * (`Access-Control-Allow-Credentials`) are never allowed.
 *
 * Browsers do not apply CORS to WebSockets: graphql-ws on /graphql authenticates by the token
 * in connection_init, which a page can only send if it holds the token.
 */

/** What a browser client sends: JSON bodies, the JWT, Apollo's CSRF header, W3C trace context. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'traceparent', 'tracestate'];
const ALLOWED_METHODS = ['GET', 'POST'];
/** Browsers cap this anyway (Chromium at 2 hours); 10 minutes keeps a changed list from lingering. */
const MAX_AGE_SECONDS = 600;

export interface Cors {
  /** Answers a preflight (OPTIONS) and returns true; returns false for any other request. */
  preflight(req: IncomingMessage, res: ServerResponse): boolean;
  /** Headers (name, value, ...) for the answer to a real request: its origin when allowed, and `Vary: origin`. */
  headersFor(req: IncomingMessage): readonly string[];
}

/** Why a preflight is refused, or null when the real request may follow. */
function preflightRefusal(permitted: boolean, req: IncomingMessage): string | null {
  if (!permitted) return 'origin not allowed (CUSTOMER_CORS_ORIGINS)';
  const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
  if (!ALLOWED_METHODS.includes(method)) return `method ${method || '(none)'} not allowed`;
  const headers = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const unknown = headers.find((h) => h !== '' && !ALLOWED_HEADERS.includes(h));
  return unknown ? `header ${unknown} not allowed` : null;
}

const NONE: readonly string[] = [];

export function cors(allowedOrigins: readonly string[]): Cors {
  const allowed = new Set(allowedOrigins);
  const allowedOrigin = (req: IncomingMessage): string | null => {
    const origin = req.headers.origin;
    return typeof origin === 'string' && allowed.has(origin) ? origin : null;
  };
  return {
    preflight(req, res) {
      if (req.method !== 'OPTIONS') return false;
      const origin = allowedOrigin(req);
      const refused = preflightRefusal(origin !== null, req);
      if (refused) {
        // No CORS headers: the browser refuses the real request; the body says why to whoever looks.
        res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'origin' });
        res.end(JSON.stringify({ error: `CORS preflight refused: ${refused}` }));
        return true;
      }
      res.writeHead(204, {
        'access-control-allow-origin': origin!,
        'access-control-allow-methods': ALLOWED_METHODS.join(', '),
        'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
        'access-control-max-age': String(MAX_AGE_SECONDS),
        'cache-control': 'no-store',
        vary: 'origin',
      });
      res.end();
      return true;
    },
    headersFor(req) {
      // Nothing configured: not a header more on the hot path.
      if (allowed.size === 0) return NONE;
      const origin = allowedOrigin(req);
      // The answer differs by Origin, so caches must keep them apart (refused origins included).
      return origin ? ['access-control-allow-origin', origin, 'vary', 'origin'] : ['vary', 'origin'];
    },
  };
}
