import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { register } from './helpers/accounts';
import { createCustomer, startTestServer, TEST_JWT_SECRET, TestServer, tokens } from './helpers/server';
import { subscribe, wsClient } from './helpers/ws';

// The graphql-ws protocol as clients meet it: what one bad operation does to a socket, and the
// close codes a client sees for tokens that can never work.

let server: TestServer;
const stderr: string[] = [];
const originalError = console.error;
beforeAll(async () => {
  // Production: no detail in messages. Every console.error is recorded: the service's logger
  // writes to stdout, so nothing may reach console.error.
  console.error = (...args: unknown[]) => {
    stderr.push(args.map(String).join(' '));
  };
  server = await startTestServer({ NODE_ENV: 'production', CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32) });
});
afterAll(async () => {
  console.error = originalError;
  await server.close();
});
afterEach(() => {
  expect(stderr).toEqual([]);
});

const CHANGED = 'subscription($id: ID) { customerChanged(customerId: $id) { customerId type customer { firstName } } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';

/** A raw graphql-transport-ws socket: resolves with the close code, or the messages seen so far. */
function rawSocket(url: string, authorization: unknown) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string; ms: number }>((resolve) => {
    const started = Date.now();
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason), ms: Date.now() - started }));
  });
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} })));
  return { socket, messages, closed };
}

describe('one bad operation does not end the others on its socket', () => {
  it('a syntax error answers an error for that operation; the subscription beside it keeps receiving', async () => {
    const c = await createCustomer(server);
    const client = wsClient(server.url, tokens.admin());
    try {
      const live = await subscribe(client, CHANGED, { id: c.id });
      const broken = await subscribe(client, 'subscription { customerChanged(customerId: ');
      expect(broken.errors.flat()).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
      const invalid = await subscribe(client, 'subscription { customerChanged { noSuchField } }');
      expect(invalid.errors.flat()).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
      // Two operations and no operationName: graphql-ws would have closed the socket here too.
      const ambiguous = await subscribe(client, 'subscription A { customerChanged { customerId } } subscription B { customerChanged { customerId } }');
      expect(ambiguous.errors.flat()).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);

      await server.gql(UPDATE, { id: c.id, input: { firstName: 'StillHere' } }, tokens.admin());
      const [event] = await live.waitFor(1);
      expect(event).toEqual({ customerChanged: { customerId: c.id, type: 'CUSTOMER_UPDATED', customer: { firstName: 'StillHere' } } });
      live.close();
    } finally {
      await client.dispose();
    }
  });

  it('after logout, a new subscription on the open socket gets UNAUTHENTICATED; the socket stays usable', async () => {
    const account = await register(server);
    const client = wsClient(server.url, account.token);
    try {
      const before = await subscribe(client, CHANGED, { id: account.id });
      expect(before.errors).toEqual([]);
      expect((await server.gql('mutation { logout }', {}, account.token)).data).toEqual({ logout: true });
      const after = await subscribe(client, CHANGED, { id: account.id });
      expect(after.errors.flat()).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/session/) })]);
      // No close code: the failure was this operation's only.
      expect(before.errors).toEqual([]);
      before.close();
    } finally {
      await client.dispose();
    }
  });
});

describe('close codes at connection_init', () => {
  const expired = jwt.sign({ sub: 'admin-user', role: 'ADMIN', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET);

  it.each([
    ['garbage', 'Bearer not-a-token'],
    ['expired', `Bearer ${expired}`],
    ['signed with another key', `Bearer ${jwt.sign({ sub: 'x', role: 'ADMIN' }, 'another-secret-another-secret-0123456789', { expiresIn: 60 })}`],
    ['not a bearer header', 'Basic abc'],
    ['non-string', { token: 'x' }],
  ] as [string, unknown][])('a %s token closes with 4401 at once, saying why', async (_what, authorization) => {
    const { closed, messages } = rawSocket(server.url, authorization);
    const { code, reason, ms } = await closed;
    expect(code).toBe(4401);
    expect(reason).toMatch(/^Unauthorized: /);
    expect(ms).toBeLessThan(2000);
    expect(messages).toEqual([]);
  });

  it('a token whose session has ended closes with 4401; the graphql-ws client does not retry it', async () => {
    const account = await register(server);
    await server.gql('mutation { logout }', {}, account.token);
    const client = wsClient(server.url, account.token);
    try {
      const sub = await subscribe(client, CHANGED, { id: account.id });
      await expect(sub.waitFor(1, 2000)).rejects.toThrow(/4401/);
      expect(sub.errors).toEqual([{ code: 4401, reason: 'Unauthorized: The session of this token has ended; sign in again' }]);
    } finally {
      await client.dispose();
    }
  });

  it('no token at all is accepted (anonymous), and anything personal is refused per operation', async () => {
    const c = await createCustomer(server);
    const client = wsClient(server.url);
    try {
      const sub = await subscribe(client, CHANGED, { id: c.id });
      await expect(sub.waitFor(1, 3000)).rejects.toThrow(/UNAUTHENTICATED/);
    } finally {
      await client.dispose();
    }
  });
});
