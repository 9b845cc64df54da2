import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { migrations } from '../migrations';
import { ensureBuilt, ROOT } from './helpers/process';
import { createTestDatabase } from './helpers/server';

// `npm run typeorm -- migration:show|run|revert`, as the README documents it: TypeORM's own CLI
// on the built data source (dist/ormconfig.js), against a fresh database.

const run = promisify(execFile);
let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  ensureBuilt();
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

async function typeorm(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/typeorm/cli.js'), '-d', 'dist/ormconfig.js', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', CUSTOMER_DATABASE_DSN: db.dsn },
  });
  return stdout;
}

it('shows, runs and reverts the migrations the service applies itself', async () => {
  const names = migrations.map((m) => m.constructor.name);
  const pending = await typeorm('migration:show').catch((err: { stdout: string }) => err.stdout);
  for (const name of names) expect(pending).toContain(`[ ] ${name}`);

  await typeorm('migration:run');
  // The entities describe the migrated schema exactly: nothing to generate (exits 1 otherwise).
  expect(await typeorm('migration:generate', '--check', 'migrations/Unexpected')).toContain('No changes in database schema were found');
  const applied = await typeorm('migration:show');
  names.forEach((name, i) => expect(applied).toContain(`[X] ${i + 1} ${name}`));

  const last = names[names.length - 1];
  expect(await typeorm('migration:revert')).toContain(`Migration ${last} has been reverted successfully`);
  expect(await typeorm('migration:show').catch((err: { stdout: string }) => err.stdout)).toContain(`[ ] ${last}`);
  await typeorm('migration:run');
  expect(await typeorm('migration:show')).toMatch(new RegExp(`\\[X\\] \\d+ ${last}`));
}, 60000);
