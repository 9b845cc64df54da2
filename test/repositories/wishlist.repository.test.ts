import type { PostgresDatabase } from '../../src/db/postgres';
import { WishlistRepository } from '../../src/modules/wishlist/wishlist.repository';
import { createCustomer, openRepositoryDatabase } from '../helpers/factories';

const wishlists = new WishlistRepository();
let db: PostgresDatabase;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openRepositoryDatabase());
});
afterAll(() => close());

/** Adds products one transaction each, so their added_at (the transaction's now()) differs. */
async function add(customerId: string, ...productIds: string[]) {
  for (const p of productIds) await db.transaction((tx) => wishlists.insert(tx, customerId, p));
}

it('inserts an item and returns it as a record; finds it by customer and product', async () => {
  const c = await createCustomer(db);
  const item = await db.transaction((tx) => wishlists.insert(tx, c.id, 'sku-1'));
  expect(item).toEqual({ id: expect.any(String), customerId: c.id, product: { id: 'sku-1' }, addedAt: expect.any(Date) });
  expect(await wishlists.find(db, c.id, 'sku-1')).toEqual(item);
  expect(await wishlists.find(db, c.id, 'sku-2')).toBeNull();
  expect(await wishlists.count(db, c.id)).toBe(1);
});

it('loads the wishlists of many customers in one statement, newest first, whatever the number of ids', async () => {
  const a = await createCustomer(db);
  const b = await createCustomer(db);
  const empty = await createCustomer(db);
  await add(a.id, 'a-1', 'a-2', 'a-3');
  await add(b.id, 'b-1');

  const statements: string[] = [];
  const off = db.onStatement((text) => statements.push(text));
  const rows = await wishlists.byCustomers(db, [a.id, b.id, empty.id]);
  await wishlists.byCustomers(db, [a.id]);
  off();

  expect(rows.filter((r) => r.customerId === a.id).map((r) => r.product.id)).toEqual(['a-3', 'a-2', 'a-1']);
  expect(rows.filter((r) => r.customerId === b.id).map((r) => r.product.id)).toEqual(['b-1']);
  expect(rows.some((r) => r.customerId === empty.id)).toBe(false);
  expect(statements).toHaveLength(2);
  expect(statements[0]).toBe(statements[1]);
  expect(await wishlists.byCustomers(db, [])).toEqual([]);
});

it('removes one product and answers its id, null when it was not there', async () => {
  const c = await createCustomer(db);
  await add(c.id, 'keep', 'drop');
  const dropped = await wishlists.find(db, c.id, 'drop');
  expect(await db.transaction((tx) => wishlists.remove(tx, c.id, 'drop'))).toBe(dropped!.id);
  expect(await db.transaction((tx) => wishlists.remove(tx, c.id, 'drop'))).toBeNull();
  expect((await wishlists.byCustomers(db, [c.id])).map((r) => r.product.id)).toEqual(['keep']);
});

it('exports the items oldest first; erasePersonal removes them all, and only that customer’s', async () => {
  const c = await createCustomer(db);
  const other = await createCustomer(db);
  await add(c.id, 'first', 'second');
  await add(other.id, 'theirs');

  const exported = await wishlists.exportPersonal(db, c.id);
  expect(exported).toEqual([
    { id: expect.any(String), customerId: c.id, productId: 'first', addedAt: expect.any(Date) },
    { id: expect.any(String), customerId: c.id, productId: 'second', addedAt: expect.any(Date) },
  ]);

  await db.transaction((tx) => wishlists.erasePersonal(tx, c.id));
  expect(await wishlists.byCustomers(db, [c.id])).toEqual([]);
  expect(await wishlists.exportPersonal(db, c.id)).toEqual([]);
  expect(await wishlists.count(db, other.id)).toBe(1);
});
