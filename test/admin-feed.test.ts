import { startTestServer, TestServer, tokens } from './helpers/server';

/**
 * The admin feed page as HTTP serves it (what a browser does with it: admin-feed-browser.test.ts),
 * and CORS for browser clients on another origin.
 */

const DASHBOARD = 'http://dashboard.test:5173';

const base = (server: TestServer) => server.url.replace(/\/graphql$/, '');

function preflight(server: TestServer, origin: string, headers = 'content-type, authorization') {
  return fetch(server.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });
}

function postFrom(server: TestServer, origin: string) {
  return fetch(server.url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${tokens.admin()}` },
    body: JSON.stringify({ query: '{ customerGroups { code } }' }),
  });
}

describe('the admin feed page, outside production, with CORS for one dashboard origin', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CUSTOMER_CORS_ORIGINS: DASHBOARD });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the page under a strict CSP: scripts and styles from this origin only, nothing inline, no frames', async () => {
    const res = await fetch(`${base(server)}/admin/feed`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]),
    );
    expect(csp).not.toMatch(/unsafe|\*|http/);
    const html = await res.text();
    // No inline script or style for the CSP to refuse.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html.match(/(?:src|href)="([^"]+)"/g)).toEqual([
      'href="/admin/feed/favicon.svg"',
      'href="/admin/feed/feed.css"',
      'src="/admin/feed/graphql-ws.js"',
      'src="/admin/feed/feed.js"',
    ]);
  });

  it.each([
    ['/admin/feed/feed.js', 'text/javascript; charset=utf-8', 'graphqlWs.createClient'],
    ['/admin/feed/feed.css', 'text/css; charset=utf-8', '.events'],
    ['/admin/feed/favicon.svg', 'image/svg+xml', '<svg'],
    // graphql-ws's own browser build, from node_modules: no CDN.
    ['/admin/feed/graphql-ws.js', 'text/javascript; charset=utf-8', 'graphqlWs'],
  ])('serves %s', async (path, type, content) => {
    const res = await fetch(`${base(server)}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(await res.text()).toContain(content);
  });

  it('never renders what it shows as HTML: feed.js sets text only', async () => {
    const script = await (await fetch(`${base(server)}/admin/feed/feed.js`)).text();
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it('answers a preflight from the configured origin: the methods and headers a dashboard sends, no credentials', async () => {
    const res = await preflight(server, DASHBOARD, 'content-type, authorization, apollo-require-preflight, traceparent');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(res.headers.get('access-control-allow-headers')!.split(', ')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'apollo-require-preflight']),
    );
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toBe('origin');
  });

  it.each([
    ['another origin', 'http://evil.test', 'content-type, authorization', /origin not allowed/],
    ['a header nobody sends', DASHBOARD, 'content-type, x-forwarded-for', /header x-forwarded-for not allowed/],
  ])('refuses a preflight from %s: 403, no CORS headers, and why', async (_what, origin, headers, why) => {
    const res = await preflight(server, origin, headers);
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await res.json()).error).toMatch(why);
  });

  it('lets the configured origin read answers (Vary: origin beside authorization), and no other', async () => {
    const allowed = await postFrom(server, DASHBOARD);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(allowed.headers.get('vary')).toBe('origin, authorization');
    expect((await allowed.json()).data.customerGroups.length).toBeGreaterThan(0);

    const other = await postFrom(server, 'http://evil.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toBe('origin, authorization');
  });
});

describe('in production, by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('has no admin feed page (CUSTOMER_ADMIN_FEED_ENABLED=true brings it back)', async () => {
    for (const path of ['/admin/feed', '/admin/feed/feed.js', '/admin/feed/graphql-ws.js']) {
      expect((await fetch(`${base(server)}${path}`)).status).toBe(404);
    }
  });

  it('allows no cross-origin browser client: no CORS headers, preflights refused', async () => {
    const res = await preflight(server, DASHBOARD);
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postFrom(server, DASHBOARD);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(post.headers.get('vary')).toBe('authorization');
  });
});
