import { Transactor } from '../../src/application/unit-of-work';
import { systemActor } from '../../src/auth/actor';
import { CustomerType, SegmentField, SegmentOperator } from '../../src/common/enums';
import { OutboxRepository } from '../../src/events/outbox.repository';
import { MEMBERSHIP_BATCH } from '../../src/events/topics';
import { SegmentRepository, SegmentValues } from '../../src/modules/segment/segment.repository';
import { checkRules, RuleInput } from '../../src/modules/segment/segment.rules';
import { SegmentService } from '../../src/modules/segment/segment.service';
import { repositoryTestDatabase, RepositoryTestDatabase } from '../helpers/database';

/**
 * SegmentRepository against PostgreSQL: definitions, locks, scoring and memberships (the
 * set-based refresh included), with the statements each costs. Customers come from the
 * customer service; memberships' outbox batches are read back with the outbox repository.
 */

const segments = new SegmentRepository();
const outbox = new OutboxRepository();
let t: RepositoryTestDatabase;
let tag = 0;

function values(rules: RuleInput[], over: Partial<SegmentValues> = {}): SegmentValues {
  const minScore = over.minScore ?? 1;
  return { name: `segment ${++tag}`, description: null, isActive: true, rules: checkRules(rules, minScore), minScore, ...over };
}

const business: RuleInput = { field: SegmentField.CUSTOMER_TYPE, operator: SegmentOperator.EQ, value: 'BUSINESS' };
const domain = (d: string): RuleInput => ({ field: SegmentField.EMAIL_DOMAIN, operator: SegmentOperator.EQ, value: d });

/** Statements sent while fn runs, a transaction's own BEGIN and COMMIT left out. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  let statements = 0;
  const off = t.db.onStatement((text) => {
    if (!/^(BEGIN|COMMIT)$/.test(text.trim())) statements++;
  });
  try {
    return { value: await fn(), statements };
  } finally {
    off();
  }
}

/** Claims, marks sent and answers every pending membership batch (joined, left). */
async function takeBatches(): Promise<{ segmentId: string; joined: string[]; left: string[] }[]> {
  return t.db.transaction(async (tx) => {
    const { claimed } = await outbox.claim(tx, 1000);
    await outbox.markSentAndCommit(
      tx,
      claimed.map((r) => r.seq),
    );
    return claimed.filter((r) => r.type === MEMBERSHIP_BATCH).map((r) => r.payload as unknown as { segmentId: string; joined: string[]; left: string[] });
  });
}

beforeAll(async () => {
  t = await repositoryTestDatabase();
});
afterAll(() => t?.close());

describe('definitions', () => {
  it('inserts, reads, updates and deletes a segment, each in one statement', async () => {
    const v = values([business], { description: 'firms' });
    const created = await counted(() => t.db.transaction((tx) => segments.insert(tx, v)));
    expect(created.statements).toBe(1);
    const s = created.value;
    expect(s).toMatchObject({ name: v.name, description: 'firms', isActive: true, rules: v.rules, minScore: 1 });
    expect(s.createdAt).toBeInstanceOf(Date);
    expect(await segments.byIds(t.db, [s.id])).toEqual([expect.objectContaining({ id: s.id, name: v.name, rules: v.rules })]);

    const renamed = await t.db.transaction((tx) => segments.update(tx, s.id, { ...v, name: `${v.name} renamed`, isActive: false, minScore: 2 }));
    expect(renamed).toMatchObject({ id: s.id, name: `${v.name} renamed`, isActive: false, minScore: 2 });
    expect(renamed.updatedAt.getTime()).toBeGreaterThanOrEqual(s.updatedAt.getTime());

    expect((await segments.list(t.db)).map((x) => x.id)).toContain(s.id);
    expect(await t.db.transaction((tx) => segments.delete(tx, s.id))).toBe(`${v.name} renamed`);
    expect(await t.db.transaction((tx) => segments.delete(tx, s.id))).toBeNull();
    expect(await segments.byIds(t.db, [s.id])).toEqual([]);
  });

  it('lists by name whatever the case', async () => {
    const made = await t.db.transaction(async (tx) => [
      await segments.insert(tx, values([business], { name: 'b-list' })),
      await segments.insert(tx, values([business], { name: 'A-list' })),
      await segments.insert(tx, values([business], { name: 'c-list' })),
    ]);
    const names = (await segments.list(t.db)).map((s) => s.name).filter((n) => n.endsWith('-list'));
    expect(names).toEqual(['A-list', 'b-list', 'c-list']);
    await t.db.transaction(async (tx) => {
      for (const s of made) await segments.delete(tx, s.id);
    });
  });

  it('refuses a second segment of the same name (any case) by its unique index', async () => {
    await t.db.transaction((tx) => segments.insert(tx, values([business], { name: 'Unique name' })));
    await expect(t.db.transaction((tx) => segments.insert(tx, values([business], { name: 'UNIQUE NAME' })))).rejects.toMatchObject({
      code: '23505',
      constraint: 'uq_customer_segments_name',
    });
  });
});

describe('locks', () => {
  it('takes the scheduled refresh lock once per transaction at a time', async () => {
    await t.db.transaction(async (first) => {
      expect(await segments.tryRefreshLock(first)).toBe(true);
      expect(await t.db.transaction((second) => segments.tryRefreshLock(second))).toBe(false);
    });
    expect(await t.db.transaction((tx) => segments.tryRefreshLock(tx))).toBe(true);
  });

  it('makes a shared lock of the active segments wait for a segment whose memberships are locked exclusively', async () => {
    const s = await t.db.transaction((tx) => segments.insert(tx, values([business])));
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const refresh = t.db.transaction(async (tx) => {
      await segments.lockMembers(tx, s.id);
      locked();
      await held;
      order.push('refresh done');
    });
    await isLocked;
    const rescore = t.db.transaction(async (tx) => {
      const active = await segments.lockActiveShared(tx);
      order.push('shared lock taken');
      return active;
    });
    await new Promise((r) => setTimeout(r, 100));
    release();
    await refresh;
    const active = await rescore;
    expect(order).toEqual(['refresh done', 'shared lock taken']);
    expect(active).toContainEqual(expect.objectContaining({ id: s.id, rules: s.rules, minScore: 1 }));
    await t.db.transaction((tx) => segments.delete(tx, s.id));
  });
});

describe('memberships', () => {
  let firm: string;
  let person: string;
  let other: string;
  let seg: string;
  let inactive: string;

  beforeAll(async () => {
    firm = await t.customer({ customerType: CustomerType.BUSINESS, email: `firm@seg-${process.pid}.test` });
    person = await t.customer({ email: `person@seg-${process.pid}.test` });
    other = await t.customer({ customerType: CustomerType.BUSINESS });
    [seg, inactive] = await t.db.transaction(async (tx) => [
      (await segments.insert(tx, values([business, domain(`seg-${process.pid}.test`)], { minScore: 2 }))).id,
      (await segments.insert(tx, values([business], { isActive: false }))).id,
    ]);
    await takeBatches();
  });

  it('refreshes a segment over every customer in two statements, with its outbox batch in the same one', async () => {
    // A rule every customer meets first: everyone live joins.
    const everyone = checkRules([{ field: SegmentField.CUSTOMER_TYPE, operator: SegmentOperator.IN, value: ['INDIVIDUAL', 'BUSINESS'] }], 1);
    const { value, statements } = await counted(() => t.db.transaction((tx) => segments.refreshMembers(tx, { id: seg, rules: everyone, minScore: 1 })));
    expect(statements).toBe(2); // the planner settings, the refresh
    expect(value.added).toBeGreaterThanOrEqual(3);
    const [segment] = await segments.byIds(t.db, [seg]);
    const refreshed = await t.db.transaction((tx) => segments.refreshMembers(tx, segment));
    expect(refreshed).toEqual({ added: 0, removed: value.added - 1 }); // only the firm of the domain stays
    expect(await segments.memberCount(t.db, seg)).toBe(1);
    const batches = await takeBatches();
    expect(batches.map((b) => [b.segmentId, b.joined.length, b.left.length])).toEqual([
      [seg, value.added, 0],
      [seg, 0, value.added - 1],
    ]);
    expect(batches[1].left).not.toContain(firm);
  });

  it('reads members per segment, and the active segments of customers', async () => {
    // The inactive segment's member (memberships are the refresh's; the definition decides "active").
    await t.db.transaction((tx) => segments.join(tx, [{ segmentId: inactive, customerId: firm }]));
    const counts = await counted(() => segments.memberCounts(t.db, [seg, inactive, '00000000-0000-4000-8000-000000000000']));
    expect(counts.statements).toBe(1);
    // An inactive segment's rows are stale (no longer re-scored): counted as none, as listed.
    expect(counts.value).toEqual(new Map([[seg, 1]]));
    const of = await counted(() => segments.activeSegmentsOf(t.db, [firm, person]));
    expect(of.statements).toBe(1);
    expect(of.value).toEqual([expect.objectContaining({ customerId: firm, id: seg, isActive: true, minScore: 2, createdAt: expect.any(Date) })]);
    expect((await segments.activeSegmentsOfCustomer(t.db, firm)).map((s) => s.id)).toEqual([seg]);
    expect(await segments.activeSegmentsOfCustomer(t.db, person)).toEqual([]);
    // The customer list's filter: the active segment's members.
    const listed = async (segmentId: string) => (await t.customerService.list({ segmentId }, null, 10, null)).nodes.map((c) => c.id);
    expect(await listed(seg)).toEqual([firm]);
    expect(await listed(inactive)).toEqual([]);
    await t.db.transaction((tx) => segments.leave(tx, [{ segmentId: inactive, customerId: firm }]));
  });

  it('scores customers in one statement and joins and leaves only what changes', async () => {
    const [segment] = await segments.byIds(t.db, [seg]);
    const erased = '00000000-0000-4000-8000-00000000000e';
    const scores = await counted(() => segments.score(t.db, [segment], [firm, person, other, erased]));
    expect(scores.statements).toBe(1);
    expect(new Map(scores.value.map((x) => [x.customerId, x]))).toEqual(
      new Map([
        [firm, { customerId: firm, live: true, member: [true], current: [seg] }],
        [person, { customerId: person, live: true, member: [false], current: [] }],
        [other, { customerId: other, live: true, member: [false], current: [] }],
        [erased, { customerId: erased, live: false, member: [false], current: [] }],
      ]),
    );
    await t.db.transaction(async (tx) => {
      // Already a member: nothing inserted; a deleted segment: nothing inserted either.
      const joined = await segments.join(tx, [
        { segmentId: seg, customerId: firm },
        { segmentId: seg, customerId: person },
        { segmentId: '00000000-0000-4000-8000-000000000000', customerId: person },
      ]);
      expect(joined).toEqual([{ segmentId: seg, customerId: person }]);
      const left = await segments.leave(tx, [
        { segmentId: seg, customerId: person },
        { segmentId: seg, customerId: other },
      ]);
      expect(left).toEqual([{ segmentId: seg, customerId: person }]);
    });
    expect(await counted(() => segments.join(t.db, []))).toEqual({ value: [], statements: 0 });
    expect(await counted(() => segments.leave(t.db, []))).toEqual({ value: [], statements: 0 });
  });

  it("exports and erases one customer's memberships (GDPR), the erasure behind the shared segment locks", async () => {
    const [segment] = await segments.byIds(t.db, [seg]);
    await t.db.transaction((tx) => segments.join(tx, [{ segmentId: inactive, customerId: firm }]));
    const exported = await segments.exportPersonal(t.db, firm);
    // Inactive segments too: the export is of what is held about the customer.
    expect(exported).toHaveLength(2);
    expect(exported).toEqual(
      expect.arrayContaining([
        { id: seg, name: segment.name, joinedAt: expect.any(Date) },
        { id: inactive, name: expect.any(String), joinedAt: expect.any(Date) },
      ]),
    );
    const texts: string[] = [];
    const off = t.db.onStatement((text) => texts.push(text.trim().split(/\s+/)[0]));
    const left = await t.db.transaction((tx) => segments.erasePersonal(tx, firm)).finally(off);
    expect(texts).toEqual(['BEGIN', 'SELECT', 'DELETE', 'COMMIT']);
    expect(left.sort()).toEqual([seg, inactive].sort());
    expect(await segments.exportPersonal(t.db, firm)).toEqual([]);
    // Back as it was, for the next test.
    await t.db.transaction((tx) => segments.join(tx, [{ segmentId: seg, customerId: firm }]));
    await takeBatches();
  });

  it('deletes every membership of a segment with its leave batch, in one statement', async () => {
    const { statements } = await counted(() => t.db.transaction((tx) => segments.deleteMembers(tx, seg)));
    expect(statements).toBe(1);
    expect(await segments.memberCount(t.db, seg)).toBe(0);
    expect(await takeBatches()).toEqual([{ segmentId: seg, joined: [], left: [firm], time: expect.any(String) }]);
  });

  it('marks refresh times and locks active segments for update in id order', async () => {
    await t.db.transaction(async (tx) => {
      await segments.markRefreshed(tx, seg);
      await segments.markActiveRefreshed(tx);
      const locked = await segments.lockActiveForUpdate(tx);
      expect(locked.map((s) => s.id)).toEqual([...locked.map((s) => s.id)].sort());
      expect(locked.map((s) => s.id)).toContain(seg);
      expect(locked.map((s) => s.id)).not.toContain(inactive);
      expect((await segments.lockForUpdate(tx, seg))?.id).toBe(seg);
      expect(await segments.lockForUpdate(tx, '00000000-0000-4000-8000-000000000000')).toBeNull();
    });
  });
});

it('re-scores the customers a unit of work marked, in it, through the hook registered with onBeforeCommit', async () => {
  const work = new Transactor(t.db);
  const service = new SegmentService(t.db, work, true);
  work.onBeforeCommit((w) => service.beforeCommit(w));
  const rules = [{ field: SegmentField.EMAIL_DOMAIN, operator: SegmentOperator.EQ, value: 'hooked.test' }];
  const s = await service.create({ name: `hooked ${process.pid}`, rules }, systemActor('test'));
  const id = await t.customer({ email: 'a@hooked.test' }); // by the helper's own unit of work: no hook
  expect(await segments.activeSegmentsOfCustomer(t.db, id)).toEqual([]);
  await work.run(systemActor('test'), async (w) => w.segmentsMayChange(id));
  expect((await segments.activeSegmentsOfCustomer(t.db, id)).map((x) => x.id)).toEqual([s.id]);
});
