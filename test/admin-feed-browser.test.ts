import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS_DIR, CHROMIUM_PATH, chromiumInstalled, launchChromium } from './helpers/browser';
import { createCustomer, startTestServer, TestServer, TEST_JWT_SECRET, tokens } from './helpers/server';
import { TcpProxy } from './helpers/tcp-proxy';

/**
 * The admin feed page in a real browser (headless Chromium) over a real WebSocket to the
 * service: sign in, watch committed changes arrive, see the token's end, and user input shown
 * as text. The page's last state is saved as .artifacts/admin-feed.png.
 */

if (!chromiumInstalled) {
  // Only where Chromium cannot be installed (.ci/run installs it when it can).
  process.stderr.write(`admin-feed-browser.test.ts: SKIPPED, no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)\n`);
}
const describeInBrowser = chromiumInstalled ? describe : describe.skip;

const RENAME = 'mutation($id: ID!, $n: String!) { updateCustomer(id: $id, input: { firstName: $n }) { id } }';

describeInBrowser('the admin feed page in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let origin: string;
  /** Console errors and CSP violations the page reported. */
  let problems: string[];

  /** Opens the page (from `at`, the service by default) and signs in with `token`. */
  async function signIn(token: string, at = origin): Promise<void> {
    await page.goto(`${at}/admin/feed`);
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
  }

  beforeAll(async () => {
    server = await startTestServer();
    origin = server.url.replace(/\/graphql$/, '');
    browser = await launchChromium();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
  });

  afterEach(async () => {
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a change made over HTTP within 1 s of its commit: who, what, which fields, when', async () => {
    const c = await createCustomer(server, { firstName: 'Ann' });
    await signIn(tokens.admin());
    await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 5000 });
    // graphql-ws has no "subscribed" acknowledgement: give the subscriptions a moment to attach.
    await page.waitForTimeout(300);

    const res = await server.gql(RENAME, { id: c.id, n: 'Annabel' }, tokens.admin('staff-42'));
    expect(res.errors).toBeUndefined();
    const audit = page.locator('#rows tr.audit', { hasText: 'customer.profile.update' });
    const change = page.locator('#rows tr.change', { hasText: 'CUSTOMER_UPDATED' });
    await audit.waitFor({ timeout: 1000 });
    await change.waitFor({ timeout: 1000 });

    const cells = await audit.locator('td').allInnerTexts();
    expect(cells[1]).toBe('audit');
    expect(cells[2]).toBe('customer.profile.update');
    expect(cells[3]).toContain(c.id.slice(0, 8));
    expect(cells[4]).toBe('staff-42');
    expect(cells[5]).toBe('firstName: Ann → Annabel');
    expect(cells[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(await change.innerText()).toContain('Annabel');
    expect(await change.innerText()).toContain(c.email);
    expect(problems).toEqual([]);
  });

  it('filters by customer and by event type, over rows already shown', async () => {
    const a = await createCustomer(server, { firstName: 'Filtered' });
    const b = await createCustomer(server, { firstName: 'Other' });
    await signIn(tokens.admin());
    await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);
    await server.gql(RENAME, { id: a.id, n: 'Alpha' }, tokens.admin());
    await server.gql(RENAME, { id: b.id, n: 'Beta' }, tokens.admin());
    await page.locator('#rows tr', { hasText: 'Beta' }).first().waitFor({ timeout: 2000 });
    await page.locator('#rows tr.audit').nth(1).waitFor({ timeout: 2000 });

    await page.fill('#filter-customer', 'alpha');
    const visible = page.locator('#rows tr:visible');
    expect(await visible.allInnerTexts()).toEqual([expect.stringContaining('Alpha'), expect.stringContaining(a.id.slice(0, 8))]);
    await page.fill('#filter-type', 'customer.profile');
    expect(await visible.count()).toBe(1);
    expect(await visible.first().innerText()).toContain('customer.profile.update');
    expect(await page.locator('#count').innerText()).toBe('1 of 4 events');
    await page.fill('#filter-customer', '');
    await page.fill('#filter-type', '');
    expect(await visible.count()).toBe(4);
  });

  it('shows a customer name with <script> as text: nothing runs, nothing is parsed as HTML', async () => {
    const c = await createCustomer(server);
    await signIn(tokens.admin());
    await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);
    const name = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    await server.gql(
      'mutation($id: ID!, $n: String!) { updateCustomer(id: $id, input: { firstName: $n, lastName: "Doe" }) { id } }',
      { id: c.id, n: name },
      tokens.admin(),
    );

    const change = page.locator('#rows tr.change', { hasText: 'CUSTOMER_UPDATED' });
    await change.waitFor({ timeout: 2000 });
    await page.locator('#rows tr.audit').first().waitFor({ timeout: 2000 });
    expect(await change.locator('.name').innerText()).toBe(`${name} Doe`);
    expect(await page.locator('#rows tr.audit .changes').first().innerText()).toContain(name);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#rows script, #rows img').count()).toBe(0);

    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'admin-feed.png'), fullPage: true });
  });

  it('says "signed out" for an expired token, without retrying it', async () => {
    const expired = jwt.sign({ sub: 'admin', role: 'ADMIN', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET);
    await signIn(expired);
    // The page starts signed out: wait for the state that only the refused token can bring.
    await page.locator('#state', { hasText: 'Signed out (token expired)' }).waitFor({ timeout: 2000 });
    expect(await page.locator('#sign-in-message').innerText()).toMatch(/token has expired/);
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
  });

  it('signs out when the token expires while the page watches (the service closes the socket)', async () => {
    const shortLived = jwt.sign({ sub: 'admin', role: 'ADMIN', exp: Math.floor(Date.now() / 1000) + 2 }, TEST_JWT_SECRET);
    await signIn(shortLived);
    await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 2000 });
    await page.locator('#state', { hasText: 'Signed out (token expired)' }).waitFor({ timeout: 8000 });
  });

  it('shows "reconnecting" while the service cannot be reached, and goes on once it can', async () => {
    // The page and its WebSocket go through a TCP proxy that the test cuts and restores.
    const proxy = new TcpProxy(Number(new URL(origin).port));
    const port = await proxy.start();
    try {
      await signIn(tokens.admin(), `http://127.0.0.1:${port}`);
      await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 5000 });
      await proxy.cut();
      await page.locator('#state', { hasText: 'Reconnecting' }).waitFor({ timeout: 2000 });
      await proxy.start(port);
      await page.locator('#state', { hasText: 'Connected' }).waitFor({ timeout: 8000 });
      // And the feed flows again on the new socket.
      const c = await createCustomer(server);
      await page.locator('#rows tr.change', { hasText: c.email }).waitFor({ timeout: 2000 });
    } finally {
      await proxy.cut();
    }
  });

  it("refuses a token that is not an ADMIN's, saying so", async () => {
    const c = await createCustomer(server);
    await signIn(tokens.customer(c.id));
    await page.locator('#sign-in-message', { hasText: 'not an ADMIN' }).waitFor({ timeout: 2000 });
    expect(await page.locator('#state').innerText()).toBe('Signed out');
  });
});

describeInBrowser('CORS in the browser: a page on another origin calls /graphql', () => {
  let server: TestServer;
  let browser: Browser;
  let pageServer: http.Server;
  let dashboard: string;

  beforeAll(async () => {
    // The "dashboard": an empty page on an origin of its own.
    pageServer = http.createServer((_req, res) => res.end('<!doctype html><title>dashboard</title>'));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    dashboard = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;
    server = await startTestServer({ CUSTOMER_CORS_ORIGINS: dashboard });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  /** fetch() in the page: the answer's data, or the browser's error. */
  async function callFrom(pageOrigin: string): Promise<unknown> {
    const page = await browser.newPage();
    try {
      await page.goto(pageOrigin);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ query: '{ customerGroups { code } }' }),
            });
            return (await res.json()).data;
          } catch (err) {
            return `refused: ${(err as Error).message}`;
          }
        },
        { url: server.url, token: tokens.admin() },
      );
    } finally {
      await page.close();
    }
  }

  it('answers the configured origin (preflight with authorization included)', async () => {
    expect(await callFrom(dashboard)).toEqual({ customerGroups: expect.arrayContaining([{ code: 'B2C' }]) });
  });

  it('is refused by the browser for any other origin', async () => {
    // localhost and 127.0.0.1 are different origins.
    expect(await callFrom(dashboard.replace('127.0.0.1', 'localhost'))).toMatch(/^refused: Failed to fetch/);
  });
});
