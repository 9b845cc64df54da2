import pg from 'pg';
import { systemActor } from '../../src/auth/actor';
import { OUTBOX_CHANNEL, OutboxRepository } from '../../src/events/outbox.repository';
import { repositoryTestDatabase, RepositoryTestDatabase } from '../helpers/database';

/**
 * OutboxRepository against PostgreSQL. Rows are written the way the service writes them, by
 * units of work (its journal statement); what the relay does with them is events.test.ts's.
 */

const outbox = new OutboxRepository();
let t: RepositoryTestDatabase;
let ann: string;
let bea: string;

const actor = systemActor('outbox-test');
const RETRY = { backoffBaseMs: 60_000, backoffMaxMs: 60_000, maxAttempts: 3 };

/** Records `type` events in one unit of work, in order. */
async function emit(...events: [type: string, customerId: string | null][]): Promise<void> {
  await t.work.run(actor, async (w) => {
    for (const [type, customerId] of events) w.emit({ type, customerId, data: { n: 1 } });
  });
}

/** Claims and marks sent every due row: the outbox as a relay leaves it. */
async function drain(): Promise<void> {
  for (;;) {
    const n = await t.db.transaction(async (tx) => {
      const { claimed } = await outbox.claim(tx, 100);
      if (claimed.length)
        await outbox.markSentAndCommit(
          tx,
          claimed.map((r) => r.seq),
        );
      return claimed.length;
    });
    if (n === 0) return;
  }
}

async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; texts: string[] }> {
  const texts: string[] = [];
  const off = t.db.onStatement((text) => texts.push(text.trim().split(/\s+/)[0]));
  try {
    return { value: await fn(), texts };
  } finally {
    off();
  }
}

beforeAll(async () => {
  t = await repositoryTestDatabase();
  [ann, bea] = await t.customers(2);
});
beforeEach(() => drain());
afterAll(() => t?.close());

describe("the unit of work's events", () => {
  it('are claimed in commit order as CloudEvents, a subject that is no customer id stored as none', async () => {
    await emit(['test.one', ann], ['test.two', 'not-a-customer']);
    await emit(['test.three', bea]);
    const { claimed } = await t.db.transaction(async (tx) => {
      const claim = await outbox.claim(tx, 10);
      await outbox.markSentAndCommit(
        tx,
        claim.claimed.map((r) => r.seq),
      );
      return claim;
    });
    expect(claimed.map((r) => [r.type, r.customerId, r.attempts])).toEqual([
      ['test.one', ann, 0],
      ['test.two', null, 0],
      ['test.three', bea, 0],
    ]);
    expect(claimed[0].payload).toMatchObject({ specversion: '1.0', id: claimed[0].id, type: 'test.one', subject: ann, data: { n: 1 } });
    expect(claimed[1].payload.subject).toBeNull();
    expect(BigInt(claimed[0].seq) < BigInt(claimed[1].seq) && BigInt(claimed[1].seq) < BigInt(claimed[2].seq)).toBe(true);
  });

  it('wake every LISTENing relay on commit, never on rollback', async () => {
    const listener = new pg.Client({ connectionString: t.dsn });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.channel));
      await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
      await t.work
        .run(actor, async (w) => {
          w.emit({ type: 'test.rolled_back', customerId: ann, data: {} });
          await outbox.pendingBacklog(w.tx);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      await emit(['test.committed', ann]);
      for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toEqual([OUTBOX_CHANNEL]);
      expect((await outbox.pendingBacklog(t.db)).pending).toBe(1);
    } finally {
      await listener.end();
    }
  });
});

describe('claim', () => {
  it('skips rows another relay holds, and says which of their customers it must not overtake', async () => {
    await emit(['a.1', ann], ['b.1', bea]);
    await emit(['a.2', ann]);
    await t.db.transaction(async (first) => {
      const one = await outbox.claim(first, 1);
      expect(one.claimed.map((r) => r.type)).toEqual(['a.1']);
      // Ann's earliest row is held: a second relay gets the rest, and learns that Ann's a.2
      // has an earlier pending row it does not hold.
      await t.db.transaction(async (second) => {
        const rest = await outbox.claim(second, 10);
        expect(rest.claimed.map((r) => r.type)).toEqual(['b.1', 'a.2']);
        expect(rest.firstUnclaimedOf.get(ann)).toBe(BigInt(one.claimed[0].seq));
        expect(rest.firstUnclaimedOf.has(bea)).toBe(false);
        expect(rest.firstUnclaimedBatch).toBeNull();
        expect(rest.blockedBatches.size).toBe(0);
      });
      await outbox.markSentAndCommit(
        first,
        one.claimed.map((r) => r.seq),
      );
    });
  });

  it('is one statement behind the pipelined BEGIN; marking sent commits with its statement', async () => {
    await emit(['c.1', ann]);
    const { texts } = await counted(() =>
      t.db.transaction(async (tx) => {
        const { claimed } = await outbox.claim(tx, 10);
        await outbox.markSentAndCommit(
          tx,
          claimed.map((r) => r.seq),
        );
      }),
    );
    expect(texts).toEqual(['BEGIN', 'WITH', 'UPDATE', 'COMMIT']);
    expect((await outbox.pendingBacklog(t.db)).pending).toBe(0);
  });
});

describe('pruneSent', () => {
  it('deletes SENT rows past the retention, a bounded batch per call', async () => {
    await emit(['p.1', ann], ['p.2', ann], ['p.3', ann]);
    await drain();
    expect(await outbox.pruneSent(t.db, 1, 100)).toBe(0);
    // Everything sent so far (the customers' events too) is older than now() minus 0 hours.
    let total = 0;
    for (let n = -1; n !== 0; total += n) {
      n = await outbox.pruneSent(t.db, 0, 2);
      expect(n).toBeLessThanOrEqual(2);
    }
    expect(total).toBeGreaterThanOrEqual(3);
    expect(await outbox.pruneSent(t.db, 0, 2)).toBe(0);
  });
});

describe('pendingBacklog', () => {
  it('counts pending rows and ages the oldest by the database clock, in one statement', async () => {
    const empty = await counted(() => outbox.pendingBacklog(t.db));
    expect(empty.value.pending).toBe(0);
    expect(empty.value.oldestSeconds).toBeNull();
    expect(empty.texts).toHaveLength(1);
    await emit(['b.1', ann], ['b.2', null]);
    await new Promise((r) => setTimeout(r, 20));
    const { pending, oldestSeconds } = await outbox.pendingBacklog(t.db);
    expect(pending).toBe(2);
    expect(oldestSeconds).toBeGreaterThan(0.01);
    expect(oldestSeconds).toBeLessThan(60);
  });
});

// Last: it leaves a row pending for a minute, which no later drain() would clear.
describe('scheduleRetryAndCommit', () => {
  it('holds failed rows back for the backoff, counts the attempt, and makes them DEAD at the last one', async () => {
    await emit(['r.1', ann]);
    const fail = (outage: boolean, retry = RETRY) =>
      t.db.transaction(async (tx) => {
        const { claimed } = await outbox.claim(tx, 10);
        await outbox.scheduleRetryAndCommit(
          tx,
          claimed.map((r) => r.seq),
          'x'.repeat(600),
          retry,
          outage,
        );
        return claimed;
      });
    expect(await fail(false)).toHaveLength(1);
    // Not due for a minute: nothing to claim, still pending.
    expect(await fail(false)).toHaveLength(0);
    const backlog = await outbox.pendingBacklog(t.db);
    expect(backlog.pending).toBe(1);
    expect(backlog.oldestSeconds).toBeGreaterThanOrEqual(0);

    // Due at once: an outage does not count the attempt, a failure does; the third is the last.
    const now = { ...RETRY, backoffBaseMs: 0, backoffMaxMs: 0 };
    await emit(['r.2', bea]);
    const attempts = async (outage: boolean) => (await fail(outage, now)).map((r) => [r.type, r.attempts]);
    expect(await attempts(false)).toEqual([['r.2', 0]]);
    expect(await attempts(true)).toEqual([['r.2', 1]]);
    expect(await attempts(false)).toEqual([['r.2', 1]]);
    expect(await attempts(false)).toEqual([['r.2', 2]]);
    // DEAD: never claimed again, not pending.
    expect(await attempts(false)).toEqual([]);
    expect((await outbox.pendingBacklog(t.db)).pending).toBe(1); // r.1, waiting for its backoff
  });
});
