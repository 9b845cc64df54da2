import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

/**
 * The live admin feed (GET /admin/feed): a static page and a small script that subscribe to
 * `auditEventRecorded` and `customerChanged` over graphql-ws with an ADMIN token the person
 * pastes in. Everything the service does for it is serve four files; authorization is the
 * subscriptions' own, so the page shows nothing a token could not fetch anyway.
 *
 * The files live in static/admin-feed/, and graphql-ws's browser build comes from
 * node_modules (no CDN, no build step). They are read once, at start: a missing file stops
 * start-up instead of answering 404s later.
 */

/** The repository (or image) root, from src/http (tests) and dist/src/http (built) alike. */
const ROOT = [path.resolve(__dirname, '../..'), path.resolve(__dirname, '../../..')].find((dir) => fs.existsSync(path.join(dir, 'static/admin-feed')));

/**
 * Scripts and styles from this origin only, no inline script or style, no frames, no forms
 * posted anywhere; `connect-src 'self'` admits the page's own WebSocket (CSP Level 3 matches
 * ws: and wss: of the same host).
 */
export const ADMIN_FEED_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
}

function load(file: string, type: string): Asset {
  return { body: fs.readFileSync(file), type };
}

export function adminFeedRoutes(): Router {
  if (!ROOT) throw new Error('admin feed: static/admin-feed/ is missing (CUSTOMER_ADMIN_FEED_ENABLED=false switches the page off)');
  const dir = path.join(ROOT, 'static/admin-feed');
  const graphqlWs = path.join(path.dirname(require.resolve('graphql-ws')), '../umd/graphql-ws.min.js');
  const assets: Record<string, Asset> = {
    '/admin/feed': load(path.join(dir, 'index.html'), 'text/html; charset=utf-8'),
    '/admin/feed/feed.js': load(path.join(dir, 'feed.js'), 'text/javascript; charset=utf-8'),
    '/admin/feed/feed.css': load(path.join(dir, 'feed.css'), 'text/css; charset=utf-8'),
    '/admin/feed/favicon.svg': load(path.join(dir, 'favicon.svg'), 'image/svg+xml'),
    '/admin/feed/graphql-ws.js': load(graphqlWs, 'text/javascript; charset=utf-8'),
  };
  const router = Router();
  router.get(Object.keys(assets), (req, res) => {
    const asset = assets[req.path.replace(/\/$/, '')];
    res.setHeader('content-security-policy', ADMIN_FEED_CSP);
    res.setHeader('content-type', asset.type);
    // Small files; always revalidated, so a new version of the page never meets an old script.
    res.setHeader('cache-control', 'no-cache');
    res.send(asset.body);
  });
  return router;
}
