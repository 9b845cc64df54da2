import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CREATE_CUSTOMER, postGraphql, TEST_JWT_SECRET, tokens } from './helpers/server';
import { execFileSync } from 'node:child_process';
import { ensureBuilt, ROOT, startService } from './helpers/process';

jest.setTimeout(120000);

/**
 * Smoke tests of the embedded mode (no CUSTOMER_DATABASE_DSN): the real process, on PGlite,
 * with its data folder kept across restarts.
 */
describe('embedded mode (PGlite)', () => {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'customer-embedded-')), 'pglite');
  const env = { CUSTOMER_DATA_DIR: dataDir, CUSTOMER_JWT_SECRET: TEST_JWT_SECRET, CUSTOMER_LOG_LEVEL: 'info' };

  beforeAll(() => ensureBuilt());
  afterAll(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  it('starts with no database configured, writes, refuses a second process, restarts and reads back', async () => {
    const first = await startService(env);
    let id: string;
    try {
      expect(first.output()).toContain('embedded PGlite');
      const created = await postGraphql(first.url, CREATE_CUSTOMER, { input: { email: 'Embedded@Example.com', firstName: 'Em' } }, tokens.admin());
      expect(created.errors).toBeUndefined();
      id = created.data!.createCustomer.id;

      // transactions are serialised: racing creates of one email leave exactly one row,
      // and a failed (rolled back) create leaves nothing behind
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => postGraphql(first.url, CREATE_CUSTOMER, { input: { email: 'race@example.com' } }, tokens.admin())),
      );
      expect(racing.filter((r) => r.data?.createCustomer)).toHaveLength(1);
      expect(racing.filter((r) => r.errors?.[0].extensions?.code === 'EMAIL_TAKEN')).toHaveLength(9);
      const rolledBack = await postGraphql(
        first.url,
        CREATE_CUSTOMER,
        { input: { email: 'rollback@example.com', groupId: '00000000-0000-4000-8000-000000000000' } },
        tokens.admin(),
      );
      expect(rolledBack.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

      // a second process on the same data folder is refused with a clear message
      const second = await startService(env).catch((err: { exitCode: number; output: string }) => err);
      expect('exitCode' in second && second.exitCode).toBe(1);
      expect((second as { output: string }).output).toMatch(/already in use by process \d+/);
    } finally {
      // SIGTERM: a clean, prompt exit (not the shutdown deadline, not an emptied event loop)
      const stopping = Date.now();
      expect(await first.stop()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5000);
    }

    const again = await startService(env);
    try {
      const read = await postGraphql(again.url, 'query($id: ID!) { customer(id: $id) { email firstName group { code } } }', { id }, tokens.admin());
      expect(read.data!.customer).toEqual({ email: 'embedded@example.com', firstName: 'Em', group: { code: 'B2C' } });
      const list = await postGraphql(again.url, '{ customers { totalCount } }', {}, tokens.admin());
      expect(list.data!.customers.totalCount).toBe(2);
    } finally {
      await again.stop();
    }
  });
});

describe('TypeORM on the embedded database', () => {
  beforeAll(() => ensureBuilt());

  it('shares the one PGlite instance: its statements join transactions, roll back with them and are counted', () => {
    // A process of its own: PGlite's ES modules load in plain Node, not in Jest's module system.
    const script = `
      require('reflect-metadata');
      const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
      const { EmbeddedDatabase } = require('./dist/src/db/embedded');
      const { runMigrations } = require('./dist/src/db/migrate');
      const { CustomerGroupEntity } = require('./dist/src/modules/group/group.entity');
      (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'customer-orm-'));
        const db = await EmbeddedDatabase.open(path.join(dir, 'pglite'));
        const out = {};
        try {
          await runMigrations(db);
          const texts = [];
          db.onStatement((t) => texts.push(t.trim().split(/\\s+/)[0]));
          await db.transaction(async (tx) => {
            await tx.manager.insert(CustomerGroupEntity, { code: 'KEPT', name: 'k' });
            out.affected = (await tx.manager.update(CustomerGroupEntity, { code: 'KEPT' }, { name: 'kept' })).affected;
            await tx.queryAndCommit('SELECT 1');
          });
          await db.transaction(async (tx) => {
            await tx.manager.insert(CustomerGroupEntity, { code: 'GONE', name: 'g' });
            throw new Error('rolled back');
          }).catch(() => undefined);
          out.groups = (await db.manager.find(CustomerGroupEntity, { order: { code: 'ASC' } })).map((g) => g.code + ':' + g.name);
          out.texts = texts;
        } finally {
          await db.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
        process.stdout.write(JSON.stringify(out));
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    expect(JSON.parse(out)).toEqual({
      affected: 1,
      groups: ['B2B:Businesses', 'B2C:Consumers', 'KEPT:kept'],
      texts: ['INSERT', 'UPDATE', 'SELECT', 'INSERT', 'SELECT'],
    });
  });
});
