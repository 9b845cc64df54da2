import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Helmet's headers for every HTTP response, /graphql (plain handler) and Express routes alike.
 * The middleware is built once; per request it only sets precomputed header values (it is
 * synchronous and never fails, so its `next` has nothing to do).
 *
 * Content-Security-Policy: this service answers JSON, so in production nothing may load or
 * frame anything (`default-src 'none'; frame-ancestors 'none'`), and Apollo's landing page is
 * off there (app.ts). Outside production GET /graphql from a browser serves Apollo's landing
 * page, an inline script that loads the Sandbox from Apollo's CDN into an iframe; a strict CSP
 * would break it and a CSP listing Apollo's hosts would be a guess at their internals. So in
 * development there is no CSP and the other headers stay on.
 */
export function securityHeaders(production: boolean): (req: IncomingMessage, res: ServerResponse) => void {
  const middleware = helmet({
    contentSecurityPolicy: production ? { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } : false,
    xFrameOptions: { action: 'deny' },
  });
  const next = (): void => undefined;
  return (req, res) => middleware(req, res, next);
}
