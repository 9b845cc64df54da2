import { CustomerOrderField, SortDirection } from '../../src/common/enums';
import { IdLookups } from '../../src/db/id-lookups';
import type { PostgresDatabase } from '../../src/db/postgres';
import { SqlParams } from '../../src/db/sql-params';
import { cursorFor, keyset } from '../../src/modules/customer/customer.list-query';
import { CustomerRepository } from '../../src/modules/customer/customer.repository';
import { GroupRepository } from '../../src/modules/group/group.repository';
import { createCustomer, openRepositoryDatabase } from '../helpers/factories';

const customers = new CustomerRepository();
let db: PostgresDatabase;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openRepositoryDatabase());
});
afterAll(() => close());

const values = (email: string) => ({
  email,
  firstName: 'Ada',
  lastName: 'Lovelace',
  phone: null,
  dateOfBirth: '1990-12-10',
  gender: null,
  customerType: 'INDIVIDUAL',
  registrationSource: 'WEBSITE',
  metadata: { tier: 'gold' },
  groupId: null,
});

it('inserts a customer and returns it as a record; finds it by email, live only', async () => {
  const email = `ada.${Date.now()}@example.com`;
  const row = await db.transaction((tx) => customers.insert(tx, values(email)));
  expect(row).toMatchObject({ id: expect.any(String), email, firstName: 'Ada', dateOfBirth: '1990-12-10', status: 'ACTIVE', metadata: { tier: 'gold' } });
  expect(row.createdAt).toBeInstanceOf(Date);
  expect(await customers.findByEmail(db, email)).toEqual(row);
  const gone = await createCustomer(db, { deletedAt: new Date() });
  expect(await customers.findByEmail(db, gone.email)).toBeNull();
});

it('updates only the given properties, as a record, and sets updated_at', async () => {
  const c = await createCustomer(db);
  const updated = await db.transaction((tx) => customers.update(tx, c.id, { firstName: 'Grace', metadata: { a: 1 }, emailVerified: true }));
  expect(updated).toMatchObject({ id: c.id, firstName: 'Grace', lastName: 'Tory', metadata: { a: 1 }, emailVerified: true });
  expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(c.updatedAt.getTime());
});

it('locks a live customer (with or without reading them) and finds no erased one', async () => {
  const live = await createCustomer(db);
  const gone = await createCustomer(db, { deletedAt: new Date() });
  await db.transaction(async (tx) => {
    expect((await customers.lockLive(tx, live.id))?.id).toBe(live.id);
    expect(await customers.lockLiveId(tx, live.id)).toBe(true);
    expect(await customers.lockLive(tx, gone.id)).toBeNull();
    expect(await customers.lockLiveId(tx, gone.id)).toBe(false);
  });
});

it('reads many customers by id in one statement, erased ones only when asked', async () => {
  const [a, b] = [await createCustomer(db), await createCustomer(db)];
  const gone = await createCustomer(db, { deletedAt: new Date() });
  const lookups = new IdLookups(db);
  const statements: string[] = [];
  const off = db.onStatement((text) => statements.push(text));
  const [live, all] = await Promise.all([
    customers.byIds(lookups, 'id,email', false, [a.id, b.id, gone.id]),
    customers.byIds(lookups, 'id,email', true, [gone.id]),
  ]);
  off();
  expect([...live.keys()].sort()).toEqual([a.id, b.id].sort());
  expect(live.get(a.id)).toEqual({ id: a.id, email: a.email });
  expect(all.get(gone.id)?.id).toBe(gone.id);
  expect(statements).toHaveLength(2);
});

it('pages by keyset with the group joined when asked, and counts what a filter matches', async () => {
  const group = await db.transaction((tx) => new GroupRepository().insert(tx, { code: `G${Date.now()}`, name: 'Gold', description: null, isDefault: false }));
  const made = [];
  for (let i = 0; i < 3; i++) made.push(await createCustomer(db, { groupId: group.id }));
  const conditions = ['c.deleted_at IS NULL', 'c.group_id = $1::uuid'];
  const order = { field: CustomerOrderField.CREATED_AT, direction: SortDirection.ASC };
  const first = new SqlParams();
  first.add(group.id);
  const page1 = await customers.page(db, conditions, first.values, keyset(order, null, first), 2, new Set(['id', 'email']), { group: new Set(['name']) });
  expect(page1.map((r) => r.id)).toEqual(made.slice(0, 2).map((c) => c.id));
  expect(page1[0].group).toEqual({ id: group.id, name: 'Gold' });

  const cursor = `${order.field}:ASC`;
  const next = new SqlParams();
  next.add(group.id);
  const after = cursorFor(cursor, page1[1].sortKey, page1[1].id);
  const page2 = await customers.page(db, conditions, next.values, keyset(order, after, next), 2, null, {});
  expect(page2.map((r) => r.id)).toEqual([made[2].id]);
  expect(await customers.count(db, conditions, [group.id])).toBe(3);
});

it('erases the personal columns and marks the row deleted; the export shows the erased row', async () => {
  const c = await createCustomer(db, { phone: '+31201234567' });
  const erasedAt = await db.transaction(async (tx) => {
    expect(await customers.lockForErasure(tx, c.id)).toEqual({ deletedAt: null, email: c.email });
    return customers.erasePersonal(tx, c.id, 'erased.invalid');
  });
  expect(erasedAt).toBeInstanceOf(Date);
  const row = await customers.exportPersonal(db, c.id);
  expect(row).toMatchObject({
    id: c.id,
    email: `erased+${c.id}@erased.invalid`,
    firstName: null,
    lastName: null,
    phone: null,
    status: 'DELETED',
    deletedAt: erasedAt,
  });
  await db.transaction(async (tx) => expect((await customers.lockForErasure(tx, c.id))?.deletedAt).toEqual(erasedAt));
});
