import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Helmet's headers for every HTTP response, /graphql (plain handler) and Express routes alike.
 *
 * With the options below every header helmet sets is a constant (no CSP nonces or other
 * per-request functions), so helmet runs once, against a recorder, and each response gets the
 * recorded headers: running its chain of middlewares per request cost about 3 % of a
 * `customer(id)` request's CPU.
 *
 * Content-Security-Policy: this service answers JSON, so in production nothing may load or
 * frame anything (`default-src 'none'; frame-ancestors 'none'`), and Apollo's landing page is
 * off there (app.ts). Outside production GET /graphql from a browser serves Apollo's landing
 * page, an inline script that loads the Sandbox from Apollo's CDN into an iframe; a strict CSP
 * would break it and a CSP listing Apollo's hosts would be a guess at their internals. So in
 * development there is no CSP and the other headers stay on.
 */
export interface SecurityHeaders {
  /** Sets them on a response (Express routes). */
  apply(res: ServerResponse): void;
  /** Name, value, name, value...: for `writeHead`, which takes them without a `setHeader` each (/graphql). */
  readonly flat: readonly string[];
}

export function securityHeaders(production: boolean): SecurityHeaders {
  const middleware = helmet({
    contentSecurityPolicy: production ? { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } : false,
    xFrameOptions: { action: 'deny' },
  });
  const flat: string[] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => flat.push(name, value),
    // X-Powered-By: Express sets it (the plain http server never does), and app.ts disables it there.
    removeHeader: (name: string) => removed.push(name),
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return {
    flat,
    apply(res) {
      for (const name of removed) res.removeHeader(name);
      for (let i = 0; i < flat.length; i += 2) res.setHeader(flat[i], flat[i + 1]);
    },
  };
}
