import { randomBytes } from 'node:crypto';
import { safeError } from '../src/observability/safe-error';
import { awayFromStepEdge, lastEvent, totpAt } from './helpers/accounts';
import { createCustomer, startTestServer, TestServer, tokens, uniqueEmail } from './helpers/server';
import { subscribe, wsClient } from './helpers/ws';

// One JSON line per GraphQL operation, with what an operator needs and nothing personal:
// every email, password, token, TOTP secret and recovery code used here is searched for in
// every captured line, at level trace.

let server: TestServer;
const lines: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ CUSTOMER_LOG_LEVEL: 'trace' }, { log: (l) => lines.push(l) });
});
afterAll(() => server.close());

interface OperationLine {
  level: number;
  msg: string;
  operation: string;
  type: string | null;
  fields?: string[];
  durationMs?: number;
  outcome: 'ok' | 'error';
  errorCodes?: string[];
  httpStatus: number;
  role?: string | null;
  traceId: string | null;
}

/** A fresh W3C traceparent; its trace id tells which line belongs to which request. */
function trace(): { traceId: string; headers: Record<string, string> } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } };
}

function parsed(): Record<string, any>[] {
  return lines.map((l) => JSON.parse(l));
}

function operationLines(traceId: string): OperationLine[] {
  return parsed().filter((l) => l.msg === 'graphql operation' && l.traceId === traceId) as OperationLine[];
}

/** Runs an operation with its own trace id and answers its response and its single log line. */
async function run(query: string, variables: Record<string, unknown>, token: string | null = null) {
  const t = trace();
  const res = await server.gql(query, variables, token, t.headers);
  const mine = operationLines(t.traceId);
  expect(mine).toHaveLength(1);
  return { res, line: mine[0] };
}

const REGISTER = 'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken customer { id email } } }';
const LOGIN = 'mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }';
const UPDATE = 'mutation UpdateEmail($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id email } }';
const ENABLE = 'mutation Enable2fa($id: ID!, $pw: String) { enableTwoFactor(customerId: $id, currentPassword: $pw) { secret otpauthUri } }';
const CONFIRM = 'mutation Confirm2fa($id: ID!, $code: String!) { confirmTwoFactor(customerId: $id, code: $code) { codes } }';
const REQUEST_RESET = 'mutation RequestReset($email: String!) { requestPasswordReset(email: $email) }';
const RESET = 'mutation Reset($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }';
const ME = 'query Me { me { id email } }';

describe('operation log lines', () => {
  it('one line per operation with name, type, fields, duration, outcome and trace id; no personal data or secret anywhere', async () => {
    const secrets: string[] = [];
    const email = uniqueEmail('log.person');
    const password = `pw-${randomBytes(6).toString('hex')}`;
    secrets.push(email, password);

    const reg = await run(REGISTER, { input: { email, password, firstName: 'Privatename' } });
    expect(reg.res.errors).toBeUndefined();
    const { accessToken, customer } = reg.res.data!.register;
    secrets.push(accessToken, 'Privatename');
    expect(reg.line).toMatchObject({
      level: 30,
      operation: 'Register',
      type: 'mutation',
      fields: ['register'],
      outcome: 'ok',
      httpStatus: 200,
      role: 'anonymous',
    });
    expect(reg.line.durationMs).toBeGreaterThan(0);
    expect(reg.line).not.toHaveProperty('errorCodes');

    const login = await run(LOGIN, { input: { email, password } });
    const loginToken = login.res.data!.login.accessToken;
    secrets.push(loginToken);
    expect(login.line).toMatchObject({ operation: 'Login', type: 'mutation', outcome: 'ok' });

    const wrong = await run(LOGIN, { input: { email, password: `${password}-wrong` } });
    secrets.push(`${password}-wrong`);
    expect(wrong.line).toMatchObject({ level: 30, operation: 'Login', outcome: 'error', errorCodes: ['INVALID_CREDENTIALS'] });

    const newEmail = uniqueEmail('log.changed');
    secrets.push(newEmail);
    const upd = await run(UPDATE, { id: customer.id, input: { email: newEmail, currentPassword: password } }, loginToken);
    expect(upd.res.errors).toBeUndefined();
    expect(upd.line).toMatchObject({ operation: 'UpdateEmail', type: 'mutation', fields: ['updateCustomer'], role: 'CUSTOMER', outcome: 'ok' });

    const me = await run(ME, {}, loginToken);
    expect(me.line).toMatchObject({ operation: 'Me', type: 'query', fields: ['me'], outcome: 'ok' });

    // Two-factor: the secret, its URI and the recovery codes.
    const step = await awayFromStepEdge();
    const enable = await run(ENABLE, { id: customer.id, pw: password }, loginToken);
    const { secret, otpauthUri } = enable.res.data!.enableTwoFactor;
    secrets.push(secret, otpauthUri);
    const confirm = await run(CONFIRM, { id: customer.id, code: totpAt(secret, step) }, loginToken);
    expect(confirm.res.errors).toBeUndefined();
    secrets.push(...confirm.res.data!.confirmTwoFactor.codes);

    // A password reset: the single-use token travels through the outbox only.
    await run(REQUEST_RESET, { email: newEmail });
    const event = await lastEvent(server, customer.id, 'customer.password_reset_requested');
    const resetToken = event!.data.token as string;
    const newPassword = `pw-${randomBytes(6).toString('hex')}`;
    secrets.push(resetToken, newPassword);
    const reset = await run(RESET, { token: resetToken, password: newPassword });
    expect(reset.res.data).toEqual({ resetPassword: true });
    // The same token again: refused.
    const again = await run(RESET, { token: resetToken, password: newPassword });
    expect(again.line.outcome).toBe('error');

    // Literals in the query text never reach the log either.
    const literal = uniqueEmail('log.literal');
    secrets.push(literal);
    const lit = await run(`mutation { createCustomer(input: {email: "${literal}", firstName: "Literalname"}) { id } }`, {}, tokens.admin());
    secrets.push('Literalname');
    expect(lit.line).toMatchObject({ operation: 'anonymous', type: 'mutation', fields: ['createCustomer'], role: 'ADMIN', outcome: 'ok' });

    // A token that is not valid: refused before any operation (HTTP 401), still one line.
    const bogus = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}.sig`;
    secrets.push(bogus);
    const before = lines.length;
    const refused = await server.gql(ME, {}, bogus);
    expect(refused.status).toBe(401);
    const refusedLines = lines
      .slice(before)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'graphql operation');
    expect(refusedLines).toEqual([expect.objectContaining({ outcome: 'error', errorCodes: ['UNAUTHENTICATED'], httpStatus: 401 })]);

    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      const lower = line.toLowerCase();
      for (const s of secrets) expect(lower).not.toContain(s.toLowerCase());
      expect(line).not.toMatch(/"(variables|query|source|authorization|password)":/);
    }
  });

  it('one line per operation over graphql-ws too, when it ends, with the results it sent; a refused one at once', async () => {
    const c = await createCustomer(server, { email: uniqueEmail('ws-log') });
    const client = wsClient(server.url, tokens.admin());
    try {
      const sub = await subscribe(client, 'subscription WatchOne($id: ID) { customerChanged(customerId: $id) { type customerId } }', { id: c.id });
      await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { firstName: "Wes" }) { id } }', { id: c.id }, tokens.admin());
      await sub.waitFor(1);
      expect(parsed().filter((l) => l.operation === 'WatchOne')).toHaveLength(0); // still running
      sub.close();
      const done = async () => parsed().filter((l) => l.operation === 'WatchOne');
      for (let i = 0; i < 50 && !(await done()).length; i++) await new Promise((r) => setTimeout(r, 20));
      const [line] = await done();
      expect(line).toMatchObject({
        msg: 'graphql operation',
        operation: 'WatchOne',
        type: 'subscription',
        fields: ['customerChanged'],
        transport: 'websocket',
        events: 1,
        outcome: 'ok',
        role: 'ADMIN',
      });
      expect(line.durationMs).toBeGreaterThan(0);
      expect(JSON.stringify(line)).not.toContain(c.email);
      expect(JSON.stringify(line)).not.toContain(c.id);

      const before = parsed().filter((l) => l.transport === 'websocket' && l.outcome === 'error').length;
      const bad = await subscribe(client, 'subscription Broken { customerChanged { noSuchField } }');
      expect(bad.errors.length).toBeGreaterThan(0);
      const refused = parsed().filter((l) => l.transport === 'websocket' && l.outcome === 'error');
      expect(refused).toHaveLength(before + 1);
      expect(refused[refused.length - 1]).toMatchObject({ errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    } finally {
      await client.dispose();
    }
  });

  it('an unexpected database error is logged with its code and constraint, never the values PostgreSQL quotes in `detail`', async () => {
    // A constraint the service does not know: its violation is an unexpected error (500), and
    // PostgreSQL's detail would quote the failing row, email included.
    await server.db.query("ALTER TABLE customers ADD CONSTRAINT log_test_blocked CHECK (email NOT LIKE '%@blocked.example')");
    const email = `someone.${randomBytes(3).toString('hex')}@blocked.example`;
    const { res, line } = await run(
      'mutation Blocked($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
      { input: { email, firstName: 'Blockedname' } },
      tokens.admin(),
    );
    expect(res.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(line).toMatchObject({ level: 40, operation: 'Blocked', outcome: 'error', errorCodes: ['INTERNAL_SERVER_ERROR'] });
    const logged = parsed().filter((l) => l.msg === 'unexpected error while executing an operation' && l.err?.constraint === 'log_test_blocked');
    expect(logged).toHaveLength(1);
    expect(logged[0].err).toMatchObject({ code: '23514', table: 'customers' });
    expect(logged[0].err).not.toHaveProperty('detail');
    expect(logged[0].err.stack).toMatch(/^\s+at /);
    for (const l of lines) {
      expect(l.toLowerCase()).not.toContain(email);
      expect(l).not.toContain('Blockedname');
      expect(l).not.toContain('Failing row');
    }
  });
});

describe('CUSTOMER_LOG_OPERATIONS=false', () => {
  it('drops the per-operation line and keeps the rest', async () => {
    const quiet: string[] = [];
    const off = await startTestServer({ CUSTOMER_LOG_LEVEL: 'info', CUSTOMER_LOG_OPERATIONS: 'false' }, { log: (l) => quiet.push(l) });
    try {
      const res = await off.gql('query Quiet { customerGroups { code } }', {}, tokens.admin());
      expect(res.errors).toBeUndefined();
      expect(quiet.filter((l) => l.includes('graphql operation'))).toEqual([]);
      // Metrics still count the operation.
      const metrics = await (await fetch(off.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/customer_requests_total\{operation="Quiet",status="success"\} 1/);
    } finally {
      await off.close();
    }
  });
});

describe('safeError', () => {
  it('keeps type, code, identifiers and a scrubbed message; drops detail, where and unknown properties', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "uq_customers_email"'), {
      code: '23505',
      severity: 'ERROR',
      constraint: 'uq_customers_email',
      table: 'customers',
      detail: 'Key (lower(email::text))=(ann@example.com) already exists.',
      where: 'SQL statement "..."',
      parameters: ['ann@example.com'],
    });
    const out = safeError(err) as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'Error', code: '23505', constraint: 'uq_customers_email', table: 'customers', message: err.message });
    expect(JSON.stringify(out)).not.toContain('ann@example.com');
    expect(out).not.toHaveProperty('detail');
    expect(out).not.toHaveProperty('where');
  });

  it('omits data-exception messages, which quote the value, and scrubs emails and tokens from others', () => {
    const pg22 = Object.assign(new Error('invalid input syntax for type uuid: "ann@example.com"'), { code: '22P02', severity: 'ERROR' });
    expect(JSON.stringify(safeError(pg22))).not.toContain('ann@example.com');
    const plain = new Error('could not mail bo@example.com with token 3f9a0c1d2e4b5a6c7d8e9f00 and Bearer abc.def');
    const out = safeError(plain) as { message: string; stack?: string };
    expect(out.message).toBe('could not mail [email] with token [token] and Bearer [redacted]');
    expect(out.stack ?? '').not.toContain('bo@example.com');
    expect(safeError('redis said no for bo@example.com')).toBe('redis said no for [email]');
  });
});
