import { systemActor } from '../src/auth/actor';
import { Transactor } from '../src/application/unit-of-work';
import { AuditRepository } from '../src/modules/audit/audit.repository';
import { OutboxRepository } from '../src/events/outbox.repository';
import { repositoryTestDatabase, RepositoryTestDatabase } from './helpers/database';

/**
 * The unit of work (src/application/unit-of-work.ts): pre-commit hooks registered with
 * `onBeforeCommit`, and its journal (audit rows, outbox events, NOTIFY) written in the one
 * statement that commits.
 */

const audits = new AuditRepository();
const outbox = new OutboxRepository();
const actor = systemActor('uow-test');
let t: RepositoryTestDatabase;

beforeAll(async () => {
  t = await repositoryTestDatabase();
});
afterAll(() => t?.close());

/** The first words of the statements sent while fn runs. */
async function sent(fn: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const off = t.db.onStatement((text) => texts.push(text.trim().split(/\s+/)[0]));
  try {
    await fn().catch(() => undefined);
  } finally {
    off();
  }
  return texts;
}

it('runs the pre-commit hooks in order, inside the transaction, after the work and before its journal', async () => {
  const work = new Transactor(t.db);
  const calls: string[] = [];
  work.onBeforeCommit(async (w) => {
    calls.push(`first:${[...w.rescore].join()}`);
    await audits.byId(w.tx, '00000000-0000-4000-8000-000000000001');
    w.audit({ eventType: 'uow.hook', customerId: null, operation: 'hook' });
  });
  work.onBeforeCommit(async () => {
    calls.push('second');
  });
  const texts = await sent(() =>
    work.run(actor, async (w) => {
      calls.push('work');
      w.segmentsMayChange('c1');
      await outbox.pendingBacklog(w.tx);
    }),
  );
  expect(calls).toEqual(['work', 'first:c1', 'second']);
  // The work's statement carries BEGIN, the hook's joins the transaction, the journal carries COMMIT.
  expect(texts).toEqual(['BEGIN', 'SELECT', 'SELECT', 'WITH', 'COMMIT']);
  expect(await audits.page(t.db, { eventTypes: ['uow.hook'] }, 10, null)).toHaveLength(1);
});

it('rolls the work back when a hook throws', async () => {
  const work = new Transactor(t.db);
  work.onBeforeCommit(async () => {
    throw new Error('hook failed');
  });
  await expect(
    work.run(actor, async (w) => {
      w.audit({ eventType: 'uow.hook_failed', customerId: null, operation: 'x' });
      await outbox.pendingBacklog(w.tx);
    }),
  ).rejects.toThrow('hook failed');
  expect(await audits.page(t.db, { eventTypes: ['uow.hook_failed'] }, 10, null)).toEqual([]);
});

it('writes audit rows, their feed notices and the events in one statement, and tells observers after the commit', async () => {
  const work = new Transactor(t.db);
  const observed: string[] = [];
  work.onCommit((c) => observed.push(...c.audits.map((a) => a.eventType), ...c.events.map((e) => e.type)));
  const before = (await outbox.pendingBacklog(t.db)).pending;
  const texts = await sent(() =>
    work.run(actor, async (w) => {
      w.audit({ eventType: 'uow.journal', customerId: null, operation: 'x' });
      w.emit({ type: 'uow.event', customerId: null, data: {} });
    }),
  );
  expect(texts).toEqual(['WITH']); // the only statement: atomic by itself, no BEGIN or COMMIT
  expect(observed).toEqual(['uow.journal', 'uow.event']);
  expect(await audits.page(t.db, { eventTypes: ['uow.journal'] }, 10, null)).toHaveLength(1);
  // The event and the audit row's notice for the live feed.
  expect((await outbox.pendingBacklog(t.db)).pending).toBe(before + 2);
});

it('sends nothing for a unit of work that recorded and ran nothing', async () => {
  expect(await sent(() => new Transactor(t.db).run(actor, async () => 42))).toEqual([]);
});
