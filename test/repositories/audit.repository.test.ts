import { randomUUID } from 'node:crypto';
import { AuditSeverity } from '../../src/common/enums';
import { AuditRepository, AuditValues } from '../../src/modules/audit/audit.repository';
import { repositoryTestDatabase, RepositoryTestDatabase } from '../helpers/database';

/** AuditRepository against PostgreSQL: what each method reads and writes, and how many statements it sends. */

const audits = new AuditRepository();
let t: RepositoryTestDatabase;
let ann: string;
let bea: string;

const BASE = Date.UTC(2026, 2, 1, 12, 0, 0);

function row(over: Partial<AuditValues> = {}): AuditValues {
  return {
    id: randomUUID(),
    eventType: 'test.thing.update',
    severity: AuditSeverity.INFO,
    customerId: null,
    resourceId: null,
    operation: 'update',
    oldValues: null,
    newValues: null,
    userAgent: null,
    ipAddress: null,
    actorId: null,
    sessionId: null,
    traceId: null,
    metadata: {},
    ...over,
  };
}

/** Statements sent while fn runs. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  let statements = 0;
  const off = t.db.onStatement(() => statements++);
  try {
    return { value: await fn(), statements };
  } finally {
    off();
  }
}

beforeAll(async () => {
  t = await repositoryTestDatabase();
  [ann, bea] = await t.customers(2);
});
afterAll(() => t?.close());

describe('byId', () => {
  it('reads a row as an AuditRecord with its sort key, the address without a mask', async () => {
    const r = row({
      customerId: ann,
      ipAddress: '203.0.113.9',
      oldValues: { firstName: 'Ann' },
      newValues: { firstName: 'Annabel' },
      createdAt: new Date(BASE),
    });
    await audits.insert(t.db, [r]);
    const { value, statements } = await counted(() => audits.byId(t.db, r.id));
    expect(statements).toBe(1);
    expect(value).toMatchObject({
      id: r.id,
      eventType: r.eventType,
      severity: 'INFO',
      customerId: ann,
      ipAddress: '203.0.113.9',
      oldValues: { firstName: 'Ann' },
      newValues: { firstName: 'Annabel' },
      metadata: {},
      createdAt: new Date(BASE),
      sortKey: '2026-03-01T12:00:00.000000Z',
    });
  });

  it('answers null for an unknown id, and sends nothing for one that is not a UUID', async () => {
    expect(await audits.byId(t.db, randomUUID())).toBeNull();
    const { value, statements } = await counted(() => audits.byId(t.db, 'not-a-uuid'));
    expect(value).toBeNull();
    expect(statements).toBe(0);
  });
});

describe('page', () => {
  const at = (minutes: number) => new Date(BASE - minutes * 60_000);
  let rows: AuditValues[];

  beforeAll(async () => {
    rows = [
      row({ eventType: 'page.a_b.update', customerId: ann, createdAt: at(10), severity: AuditSeverity.WARN }),
      row({ eventType: 'page.axb.update', customerId: ann, createdAt: at(20) }),
      row({ eventType: 'page.other', customerId: bea, createdAt: at(20) }),
      row({ eventType: 'page.other', customerId: null, createdAt: at(30), severity: AuditSeverity.ERROR }),
    ];
    await audits.insert(t.db, rows);
  });

  const ids = (list: { id: string }[]) => list.map((r) => r.id);
  /** Newest first, ties by id descending. */
  const expected = (list: AuditValues[]) => ids([...list].sort((x, y) => y.createdAt!.getTime() - x.createdAt!.getTime() || (x.id < y.id ? 1 : -1)));

  it('answers newest first, ties by id, within the limit, in one statement', async () => {
    const { value, statements } = await counted(() => audits.page(t.db, { eventTypePrefix: 'page.' }, 3, null));
    expect(statements).toBe(1);
    expect(ids(value)).toEqual(expected(rows).slice(0, 3));
  });

  it('continues strictly after a keyset', async () => {
    const first = await audits.page(t.db, { eventTypePrefix: 'page.' }, 2, null);
    const last = first[first.length - 1];
    const rest = await audits.page(t.db, { eventTypePrefix: 'page.' }, 10, { createdAt: last.sortKey, id: last.id });
    expect([...ids(first), ...ids(rest)]).toEqual(expected(rows));
  });

  it('filters by customer, event types, prefix (wildcards literal), severity and time', async () => {
    const page = (filter: Parameters<AuditRepository['page']>[1]) => audits.page(t.db, { eventTypePrefix: 'page.', ...filter }, 10, null).then(ids);
    expect(await page({ customerId: ann })).toEqual(expected(rows.slice(0, 2)));
    expect(await page({ eventTypes: ['page.other'] })).toEqual(expected(rows.slice(2)));
    expect(await page({ eventTypePrefix: 'page.a_b' })).toEqual([rows[0].id]);
    expect(await page({ severity: [AuditSeverity.WARN, AuditSeverity.ERROR] })).toEqual([rows[0].id, rows[3].id]);
    expect(await page({ since: at(20), until: at(10) })).toEqual(expected(rows.slice(1, 3)));
    expect(await page({ eventTypes: [], severity: [] })).toEqual(expected(rows));
  });

  it('sends nothing for a customer id that is not a UUID', async () => {
    const { value, statements } = await counted(() => audits.page(t.db, { customerId: 'nope' }, 10, null));
    expect(value).toEqual([]);
    expect(statements).toBe(0);
  });
});

describe('trails', () => {
  it('reads the newest rows of many customers in one statement, by customer', async () => {
    const [cat, dan] = await t.customers(2);
    // After their creation rows.
    const later = Date.now() + 3_600_000;
    const mine = (customerId: string, n: number) =>
      Array.from({ length: n }, (_, i) => row({ eventType: 'trail.x', customerId, createdAt: new Date(later + i * 1000) }));
    const c = mine(cat, 3);
    const d = mine(dan, 1);
    await audits.insert(t.db, [...c, ...d]);
    const { value, statements } = await counted(() => audits.trails(t.db, [cat, dan, randomUUID()], 2, null));
    expect(statements).toBe(1);
    // By customer, each newest first: two of Cat's three, Dan's one and his creation row.
    expect(value.map((r) => r.customerId)).toEqual(cat < dan ? [cat, cat, dan, dan] : [dan, dan, cat, cat]);
    const of = (id: string) => value.filter((r) => r.customerId === id).map((r) => [r.id, r.eventType]);
    expect(of(cat)).toEqual([
      [c[2].id, 'trail.x'],
      [c[1].id, 'trail.x'],
    ]);
    expect(of(dan)).toEqual([
      [d[0].id, 'trail.x'],
      [expect.any(String), 'customer.profile.create'],
    ]);
    const last = value.find((r) => r.id === c[1].id)!;
    const next = await audits.trails(t.db, [cat], 5, { createdAt: last.sortKey, id: last.id });
    expect(next.map((r) => [r.id, r.eventType])).toEqual([
      [c[0].id, 'trail.x'],
      [expect.any(String), 'customer.profile.create'],
    ]);
  });
});

describe('the unit of work', () => {
  it("writes a mutation's audit rows with who and from where, in the statement that commits", async () => {
    const actor = {
      viewer: { kind: 'staff' as const, role: 'ADMIN' as const, subject: 'admin-7', sessionId: 'session-7' },
      meta: { ip: '198.51.100.4', userAgent: 'jest', clientSource: null, traceId: 'trace-7' },
    };
    const { statements } = await counted(() =>
      t.work.run(actor, async (w) => {
        w.audit({ eventType: 'uow.audit', customerId: bea, operation: 'update', newValues: { lastName: 'B' } });
        w.audit({ eventType: 'uow.audit', customerId: null, operation: 'create', severity: AuditSeverity.WARN });
      }),
    );
    expect(statements).toBe(1); // nothing else ran: the journal statement alone, atomic by itself
    const written = await audits.page(t.db, { eventTypes: ['uow.audit'] }, 10, null);
    expect(written).toHaveLength(2);
    expect(written.find((r) => r.customerId === bea)).toMatchObject({
      operation: 'update',
      severity: 'INFO',
      newValues: { lastName: 'B' },
      oldValues: null,
      actorId: 'admin-7',
      sessionId: 'session-7',
      ipAddress: '198.51.100.4',
      userAgent: 'jest',
      traceId: 'trace-7',
      metadata: {},
    });
    expect(written.find((r) => r.customerId === null)).toMatchObject({ operation: 'create', severity: 'WARN' });
  });

  it('writes nothing when the unit of work rolls back', async () => {
    await expect(
      t.work.run({ viewer: { kind: 'anonymous' }, meta: { ip: null, userAgent: null, clientSource: null, traceId: null } }, async (w) => {
        w.audit({ eventType: 'uow.rolled_back', customerId: null, operation: 'update' });
        await audits.byId(w.tx, randomUUID());
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await audits.page(t.db, { eventTypes: ['uow.rolled_back'] }, 10, null)).toEqual([]);
  });
});

describe('erasePersonal', () => {
  it("empties the values, address, user agent and metadata of the customer's rows and of their own actions, and keeps the rest", async () => {
    const [gone, kept] = await t.customers(2);
    const values = { oldValues: { a: 1 }, newValues: { a: 2 }, ipAddress: '192.0.2.1', userAgent: 'ua', metadata: { m: 1 } };
    const own = row({ eventType: 'erase.own', customerId: gone, ...values });
    const acted = row({ eventType: 'erase.acted', customerId: kept, actorId: gone, ...values });
    const other = row({ eventType: 'erase.other', customerId: kept, actorId: 'someone', ...values });
    await audits.insert(t.db, [own, acted, other]);
    const { statements } = await counted(() => t.db.transaction((tx) => audits.erasePersonal(tx, gone)));
    expect(statements).toBe(3); // BEGIN, the update, COMMIT
    const erased = { oldValues: null, newValues: null, ipAddress: null, userAgent: null, metadata: {} };
    expect(await audits.byId(t.db, own.id)).toMatchObject({ eventType: 'erase.own', customerId: gone, ...erased });
    expect(await audits.byId(t.db, acted.id)).toMatchObject({ eventType: 'erase.acted', actorId: gone, ...erased });
    expect(await audits.byId(t.db, other.id)).toMatchObject(values);
  });
});

describe('deleteExpired', () => {
  it('deletes rows older than the window, a batch per call, oldest first, and keeps the rest', async () => {
    const day = 86_400_000;
    const old = Array.from({ length: 5 }, (_, i) => row({ eventType: 'retention.old', createdAt: new Date(Date.now() - 400 * day - i * 60_000) }));
    const recent = row({ eventType: 'retention.recent', createdAt: new Date(Date.now() - 364 * day) });
    await audits.insert(t.db, [...old, recent]);
    // Other tests' rows are from 2026-03-01 onwards, well inside a 3650-day window.
    expect(await audits.deleteExpired(t.db, 365 * 10, 100)).toBe(0);
    expect(await audits.deleteExpired(t.db, 365, 3)).toBe(3);
    const left = await audits.page(t.db, { eventTypePrefix: 'retention.' }, 10, null);
    // The oldest three went first.
    expect(ids(left)).toEqual([recent.id, old[0].id, old[1].id]);
    expect(await audits.deleteExpired(t.db, 365, 3)).toBe(2);
    expect(await audits.deleteExpired(t.db, 365, 3)).toBe(0);
    expect(ids(await audits.page(t.db, { eventTypePrefix: 'retention.' }, 10, null))).toEqual([recent.id]);
  });

  const ids = (list: { id: string }[]) => list.map((r) => r.id);
});
