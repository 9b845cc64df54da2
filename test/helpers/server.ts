import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { App, createApp } from '../../src/app';
import { Config, loadConfig } from '../../src/config/config';
import { runMigrations } from '../../src/db/migrate';
import { PostgresDatabase } from '../../src/db/postgres';
import { createLogger } from '../../src/observability/logger';
import type { Customer } from '../generated/schema-types';

/** Admin connection used to create and drop one database per test file (overridable). */
export const PG_ADMIN_URL = process.env.CUSTOMER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

/**
 * bcrypt at its lowest cost (still real bcrypt) and a per-IP allowance no test file reaches
 * by accident; the tests of those rules set their own values.
 */
const FAST_AUTH = { CUSTOMER_BCRYPT_COST: '4', CUSTOMER_AUTH_RATE_LIMIT: '100000' };

export function dsnFor(database: string, base = PG_ADMIN_URL): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(): Promise<{ name: string; dsn: string; drop: () => Promise<void> }> {
  const name = `customer_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    dsn: dsnFor(name),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; fieldErrors?: { field: string; message: string }[] } }[];
}

/** The `extensions.code` of a response's first error. */
export function errorCode(res: Pick<GqlResponse, 'errors'>): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

export interface TestServer {
  url: string;
  db: PostgresDatabase;
  dsn: string;
  config: Config;
  app: App;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
    headers?: Record<string, string>,
  ): Promise<GqlResponse<T>>;
  /** Counts SQL statements sent while fn runs. */
  countStatements(fn: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

export const tokens = {
  admin: (sub = 'admin-user') => jwt.sign({ sub, role: 'ADMIN' }, TEST_JWT_SECRET, { expiresIn: '1h' }),
  service: (sub = 'orders-service') => jwt.sign({ sub, role: 'SERVICE' }, TEST_JWT_SECRET, { expiresIn: '1h' }),
  customer: (customerId: string) => jwt.sign({ sub: customerId, role: 'CUSTOMER' }, TEST_JWT_SECRET, { expiresIn: '1h' }),
};

export async function postGraphql(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResponse;
  return { ...body, status: res.status };
}

/** A fresh database, migrated, and the whole service listening on a free port. */
export async function startTestServer(env: Record<string, string> = {}, options: { log?: (line: string) => void } = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({
    CUSTOMER_DATABASE_DSN: database.dsn,
    CUSTOMER_JWT_SECRET: TEST_JWT_SECRET,
    CUSTOMER_LOG_LEVEL: 'silent',
    CUSTOMER_DB_POOL_SIZE: '10',
    ...FAST_AUTH,
    // The relay wakes on commits; its fallback poll would add statements to counted windows.
    CUSTOMER_OUTBOX_POLL_MS: '600000',
    ...env,
  });
  const db = await PostgresDatabase.connect(database.dsn, config.dbPoolSize, config.dbTimeouts);
  await runMigrations(db);
  const log = options.log;
  const logger = log ? createLogger(config.logLevel, { write: (line: string) => log(line) }) : createLogger(config.logLevel);
  const app: App = await createApp(config, db, logger);
  const port = await app.listen(0);
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    db,
    dsn: database.dsn,
    config,
    gql: (query, variables, token, headers) => postGraphql(url, query, variables, token, headers) as never,
    app,
    async countStatements(fn) {
      await app.relay.idle();
      let n = 0;
      const off = db.onStatement(() => n++);
      try {
        await fn();
      } finally {
        off();
      }
      return n;
    },
    async close() {
      await app.close();
      await db.close();
      await database.drop();
    },
  };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${randomUUID().slice(0, 8)}@example.com`;
}

export const CREATE_CUSTOMER = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id email firstName lastName status customerType group { id code } } }`;

export async function createCustomer(server: TestServer, input: Record<string, unknown> = {}): Promise<Pick<Customer, 'id' | 'email'>> {
  const res = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail(), ...input } }, tokens.admin());
  if (!res.data?.createCustomer) throw new Error(`createCustomer failed: ${JSON.stringify(res.errors)}`);
  return res.data.createCustomer;
}

/** Another replica of `server`: the same database (and whatever Redis `env` names). */
export async function startReplica(server: TestServer, env: Record<string, string> = {}): Promise<{ url: string; app: App; close: () => Promise<void> }> {
  const config = loadConfig({
    CUSTOMER_DATABASE_DSN: server.dsn,
    CUSTOMER_JWT_SECRET: TEST_JWT_SECRET,
    CUSTOMER_LOG_LEVEL: 'silent',
    CUSTOMER_OUTBOX_POLL_MS: '600000',
    ...FAST_AUTH,
    ...env,
  });
  const db = await PostgresDatabase.connect(server.dsn, config.dbPoolSize, config.dbTimeouts);
  const app = await createApp(config, db, createLogger(config.logLevel));
  const port = await app.listen(0);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    app,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export const REDIS_ADDR = process.env.CUSTOMER_TEST_REDIS_ADDR ?? '127.0.0.1:6379';

/** Env for a server on the real Redis, isolated from other test files by a namespace. */
export function redisEnv(namespace = `test-${process.pid}-${randomBytes(3).toString('hex')}:`): Record<string, string> {
  return { CUSTOMER_REDIS_ADDR: REDIS_ADDR, CUSTOMER_EVENTS_NAMESPACE: namespace };
}
