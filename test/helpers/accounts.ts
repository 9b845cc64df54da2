import { createHmac } from 'node:crypto';
import type { TestServer } from './server';
import { uniqueEmail } from './server';

export const PASSWORD = 'correct horse battery';

export const REGISTER = `mutation($input: RegisterInput!) {
  register(input: $input) { accessToken expiresAt twoFactorRequired customer { id email emailVerified twoFactorEnabled } }
}`;
export const LOGIN = `mutation($input: LoginInput!) {
  login(input: $input) { accessToken expiresAt twoFactorRequired customer { id email } }
}`;
export const ME = '{ me { id email emailVerified twoFactorEnabled } }';

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

export async function register(server: TestServer, input: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Account> {
  const email = (input.email as string | undefined) ?? uniqueEmail('reg');
  const password = (input.password as string | undefined) ?? PASSWORD;
  const res = await server.gql(REGISTER, { input: { email, password, ...input } }, null, headers);
  const payload = res.data?.register;
  if (!payload?.accessToken) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { id: payload.customer.id, email, password, token: payload.accessToken };
}

export function login(server: TestServer, email: string, password: string, twoFactorCode?: string, headers: Record<string, string> = {}) {
  return server.gql(LOGIN, { input: { email, password, ...(twoFactorCode === undefined ? {} : { twoFactorCode }) } }, null, headers);
}

/**
 * The latest outbox event of a type for a customer (what the notification service receives),
 * waiting up to 5 s for one to exist: requestPasswordReset issues its token just after it
 * answers. With `unlike`, waits for one whose token differs (a newer one).
 */
export async function lastEvent(server: TestServer, customerId: string, type: string, unlike?: string): Promise<Record<string, any> | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = await server.db.query<{ payload: Record<string, any> }>(
      'SELECT payload FROM outbox_events WHERE customer_id = $1 AND type = $2 ORDER BY seq DESC LIMIT 1',
      [customerId, type],
    );
    const found = rows[0]?.payload ?? null;
    if ((found && (unlike === undefined || found.data?.token !== unlike)) || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A test's own X-Forwarded-For address (the loopback proxy is trusted), so IP limits do not collide. */
export function fromIp(ip: string): Record<string, string> {
  return { 'x-forwarded-for': ip };
}

// --- TOTP, written from RFC 6238/4226 here so tests do not trust the code under test.

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of input.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The 6-digit code of time step `step` (30-second steps since the epoch). */
export function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

export function currentStep(): number {
  return Math.floor(Date.now() / 30_000);
}

/** Waits, if needed, until at least `margin` ms remain in the current step, so a test's codes do not cross a step boundary mid-test. */
export async function awayFromStepEdge(margin = 3_000): Promise<number> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < margin) await new Promise((r) => setTimeout(r, left + 50));
  return currentStep();
}

/** A registered customer with two-factor on, confirmed with the code of the previous step. */
export async function enrol(server: TestServer, account?: Account): Promise<Account & { secret: string; recovery: string[]; step: number }> {
  account ??= await register(server);
  const step = await awayFromStepEdge();
  const enable = await server.gql(
    'mutation($id: ID!, $pw: String) { enableTwoFactor(customerId: $id, currentPassword: $pw) { secret } }',
    { id: account.id, pw: account.password },
    account.token,
  );
  if (!enable.data) throw new Error(JSON.stringify(enable.errors));
  const { secret } = enable.data.enableTwoFactor;
  const res = await server.gql(
    'mutation($id: ID!, $code: String!) { confirmTwoFactor(customerId: $id, code: $code) { codes } }',
    { id: account.id, code: totpAt(secret, step - 1) },
    account.token,
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return { ...account, secret, recovery: res.data.confirmTwoFactor.codes, step };
}
