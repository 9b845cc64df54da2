import { runMigrations } from '../src/db/migrate';
import { PostgresDatabase } from '../src/db/postgres';
import { CustomerGroupEntity } from '../src/modules/group/group.entity';
import { createTestDatabase } from './helpers/server';

/**
 * Transactions on PostgreSQL pipeline BEGIN with their first statement and COMMIT with their
 * last (queryAndCommit): these prove that nothing of the all-or-nothing contract is lost.
 */
let db: PostgresDatabase;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await createTestDatabase();
  drop = scratch.drop;
  db = await PostgresDatabase.connect(scratch.dsn, 4);
  await runMigrations(db);
  await db.query(`CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL CHECK (note <> 'bad'))`);
  // Checked at COMMIT: a violation makes the COMMIT itself fail.
  await db.query(`CREATE TABLE owners (id int PRIMARY KEY)`);
  await db.query(`CREATE TABLE owned (id int PRIMARY KEY, owner int REFERENCES owners (id) DEFERRABLE INITIALLY DEFERRED)`);
});

afterAll(async () => {
  await db.close();
  await drop();
});

const ids = async (table: string) => (await db.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);

/** The statements the data layer sends for a transaction (its statement listener), first words only. */
async function sent(fn: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const stop = db.onStatement((t) => texts.push(t.trim().split(/\s+/)[0]));
  try {
    await fn().catch(() => undefined);
  } finally {
    stop();
  }
  return texts;
}

describe('pipelined transactions', () => {
  it('commit every statement with the last one', async () => {
    const texts = await sent(() =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (1, 'a')`);
        await tx.query(`INSERT INTO items VALUES (2, 'b')`);
        return tx.queryAndCommit(`INSERT INTO items VALUES (3, 'c')`);
      }),
    );
    expect(texts).toEqual(['BEGIN', 'INSERT', 'INSERT', 'INSERT', 'COMMIT']);
    expect(await ids('items')).toEqual([1, 2, 3]);
  });

  it('commit nothing when the last statement fails, and say so', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (10, 'kept only if all succeed')`);
        await tx.queryAndCommit(`INSERT INTO items VALUES (11, 'bad')`);
      }),
    ).rejects.toThrow();
    expect(await ids('items')).not.toContain(10);
  });

  it('commit nothing when the COMMIT itself fails (a deferred constraint), and say so', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (20, 'with an orphan')`);
        await tx.queryAndCommit(`INSERT INTO owned VALUES (1, 999)`);
      }),
    ).rejects.toThrow();
    expect(await ids('items')).not.toContain(20);
    expect(await ids('owned')).toEqual([]);
  });

  it('leave the connection clean when the first statement fails (its BEGIN went out with it)', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (30, 'bad')`);
      }),
    ).rejects.toThrow();
    // The pool hands out the connection released last: the next transaction runs on it, not
    // inside the aborted one, and commits.
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO items VALUES (31, 'after a failure')`);
      await tx.queryAndCommit(`INSERT INTO items VALUES (32, 'after a failure')`);
    });
    expect(await ids('items')).toEqual(expect.arrayContaining([31, 32]));
  });

  it('commit nothing when the last statement cannot even be sent (a value the driver cannot serialise)', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (60, 'kept only if all succeed')`);
        await tx.queryAndCommit(`INSERT INTO items VALUES (61, $1)`, [{ n: 1n }]);
      }),
    ).rejects.toThrow(/BigInt/);
    expect(await ids('items')).not.toContain(60);
  });

  it('commit nothing when the callback swallows the failure of its last statement', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (70, 'kept only if all succeed')`);
        await tx.queryAndCommit(`INSERT INTO items VALUES (71, 'bad')`).catch(() => undefined);
        return 'looks fine';
      }),
    ).rejects.toThrow();
    expect(await ids('items')).not.toContain(70);
  });

  it('roll back when the callback throws after its statements', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (40, 'x')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids('items')).not.toContain(40);
  });

  it('refuse a statement after queryAndCommit, and send nothing for a transaction without statements', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.queryAndCommit(`INSERT INTO items VALUES (50, 'alone')`);
        await tx.query(`INSERT INTO items VALUES (51, 'too late')`);
      }),
    ).rejects.toThrow(/transaction has ended/);
    // A one-statement transaction needs no BEGIN: the statement was atomic and stays.
    expect(await ids('items')).toContain(50);
    expect(await ids('items')).not.toContain(51);
    expect(await sent(() => db.transaction(async () => 'nothing to do'))).toEqual([]);
  });
});

describe('TypeORM on the same pool', () => {
  const groupCodes = async () => (await db.query<{ code: string }>('SELECT code FROM customer_groups ORDER BY code')).map((r) => r.code);

  it('runs its statements in the transaction, the first one still pipelined with BEGIN', async () => {
    const texts = await sent(() =>
      db.transaction(async (tx) => {
        await tx.manager.insert(CustomerGroupEntity, { code: 'ORM_A', name: 'A' });
        await tx.manager.update(CustomerGroupEntity, { code: 'ORM_A' }, { name: 'A2' });
        return tx.queryAndCommit(`INSERT INTO items VALUES (80, 'with the ORM')`);
      }),
    );
    expect(texts).toEqual(['BEGIN', 'INSERT', 'UPDATE', 'INSERT', 'COMMIT']);
    expect(await db.manager.findOneByOrFail(CustomerGroupEntity, { code: 'ORM_A' })).toMatchObject({ name: 'A2', isDefault: false });
  });

  it('rolls back what it wrote with the transaction, and reports affected rows', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.manager.insert(CustomerGroupEntity, { code: 'ORM_B', name: 'B' });
        expect((await tx.manager.update(CustomerGroupEntity, { code: 'ORM_B' }, { name: 'B2' })).affected).toBe(1);
        await tx.queryAndCommit(`INSERT INTO items VALUES (81, 'bad')`);
      }),
    ).rejects.toThrow();
    expect(await groupCodes()).not.toContain('ORM_B');
  });

  it('never opens a transaction of its own inside ours', async () => {
    await expect(db.transaction((tx) => tx.manager.transaction(async () => undefined))).rejects.toThrow(/unit of work/);
    const texts = await sent(() =>
      db.transaction(async (tx) => {
        await tx.manager.save(CustomerGroupEntity, { code: 'ORM_C', name: 'C' });
      }),
    );
    expect(texts.filter((t) => /^(START|BEGIN|COMMIT)/.test(t))).toEqual(['BEGIN', 'COMMIT']);
    expect(await groupCodes()).toContain('ORM_C');
  });

  it('borrows the pool of the Database (one pool): its reads are counted like any statement', async () => {
    const before = db.poolStats();
    const texts = await sent(() => db.manager.countBy(CustomerGroupEntity, { isDefault: true }));
    expect(texts).toEqual(['SELECT']);
    expect(db.poolStats().total).toBeLessThanOrEqual(Math.max(before.total, 1));
    expect(db.poolStats().max).toBe(4);
  });
});
