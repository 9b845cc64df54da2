import { randomUUID } from 'node:crypto';
import type { PostgresDatabase } from '../../src/db/postgres';
import { LedgerEntry, StatisticsRepository } from '../../src/modules/statistics/statistics.repository';
import { createCustomer, openRepositoryDatabase } from '../helpers/factories';

const statistics = new StatisticsRepository();
let db: PostgresDatabase;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openRepositoryDatabase());
});
afterAll(() => close());

function order(customerId: string, amount: string, occurredAt = new Date('2026-03-01T10:00:00Z')): LedgerEntry {
  return { orderId: `order-${randomUUID().slice(0, 8)}`, customerId, amount, currency: 'EUR', occurredAt };
}

/** A completed order recorded in the ledger and counted, as the service does it. */
async function complete(e: LedgerEntry) {
  return db.transaction(async (tx) => {
    expect(await statistics.recordCompletion(tx, e)).toBe(true);
    return statistics.countCompletion(tx, e.customerId, e.amount, e.currency, e.occurredAt);
  });
}

it('counts completions into exact totals, the average rounded to cents, first and last order times', async () => {
  const c = await createCustomer(db);
  await complete(order(c.id, '10.00', new Date('2026-03-02T00:00:00Z')));
  const times = await complete(order(c.id, '0.01', new Date('2026-03-01T00:00:00Z')));
  expect(times).toEqual({ firstOrderAt: new Date('2026-03-01T00:00:00Z'), lastOrderAt: new Date('2026-03-02T00:00:00Z') });
  expect(await statistics.byCustomers(db, [c.id])).toEqual([
    {
      customerId: c.id,
      totalOrders: 2,
      totalSpent: '10.01',
      averageOrderValue: '5.01',
      currencyCode: 'EUR',
      firstOrderAt: new Date('2026-03-01T00:00:00Z'),
      lastOrderAt: new Date('2026-03-02T00:00:00Z'),
    },
  ]);
});

it('loads the statistics of many customers in one statement of one text, none before a first order', async () => {
  const a = await createCustomer(db);
  const b = await createCustomer(db);
  const none = await createCustomer(db);
  await complete(order(a.id, '5.00'));
  await complete(order(b.id, '7.50'));
  const texts: string[] = [];
  const off = db.onStatement((t) => texts.push(t));
  const rows = await statistics.byCustomers(db, [a.id, b.id, none.id]);
  await statistics.byCustomers(db, [a.id]);
  off();
  expect(texts).toHaveLength(2);
  expect(texts[0]).toBe(texts[1]);
  expect(rows.map((r) => [r.customerId, r.totalSpent]).sort()).toEqual(
    [
      [a.id, '5.00'],
      [b.id, '7.50'],
    ].sort(),
  );
});

it('records a completion once per order, and a refund only when its total grows and for the same customer', async () => {
  const c = await createCustomer(db);
  const other = await createCustomer(db);
  const e = order(c.id, '20.00');
  await complete(e);
  expect(await db.transaction((tx) => statistics.recordCompletion(tx, { ...e, customerId: other.id }))).toBe(false);

  const refund = { ...e, amount: '5.00' };
  expect(await db.transaction((tx) => statistics.recordRefund(tx, refund))).toBe(true);
  expect(await db.transaction((tx) => statistics.recordRefund(tx, { ...refund, amount: '4.00' }))).toBe(false);
  expect(await db.transaction((tx) => statistics.recordRefund(tx, { ...refund, customerId: other.id, amount: '9.00' }))).toBe(false);
  expect(await db.transaction((tx) => statistics.recordRefund(tx, { ...refund, amount: '8.00' }))).toBe(true);
  expect((await statistics.ledgerOf(db, e.orderId)).sort((x, y) => x.kind.localeCompare(y.kind))).toEqual([
    { kind: 'COMPLETED', customerId: c.id, amount: '20.00' },
    { kind: 'REFUNDED', customerId: c.id, amount: '8.00' },
  ]);
  expect(await statistics.ledgerOf(db, 'no-such-order')).toEqual([]);
});

it('subtracts refunds from the total spent in its own currency only', async () => {
  const c = await createCustomer(db);
  await complete(order(c.id, '30.00'));
  expect(await db.transaction((tx) => statistics.subtractSpent(tx, c.id, '12.34', 'EUR'))).toBe(true);
  expect(await db.transaction((tx) => statistics.subtractSpent(tx, c.id, '1.00', 'USD'))).toBe(false);
  expect((await statistics.byCustomers(db, [c.id]))[0].totalSpent).toBe('17.66');
  // A completion in another currency is not counted either.
  const usd = { ...order(c.id, '1.00'), currency: 'USD' };
  expect(await db.transaction((tx) => statistics.countCompletion(tx, c.id, usd.amount, usd.currency, usd.occurredAt))).toBeNull();
});

it('exports the statistics and the ledger, oldest first; erasePersonal keeps both and sends nothing', async () => {
  const c = await createCustomer(db);
  const first = order(c.id, '3.00', new Date('2026-01-01T00:00:00Z'));
  const second = order(c.id, '4.00', new Date('2026-02-01T00:00:00Z'));
  await complete(second);
  await complete(first);
  const before = await statistics.exportPersonal(db, c.id);
  expect(before.statistics).toMatchObject({ customerId: c.id, totalOrders: 2, totalSpent: '7.00', averageOrderValue: '3.50' });
  expect(before.orders).toEqual([
    { orderId: first.orderId, kind: 'COMPLETED', amount: '3.00', currencyCode: 'EUR', occurredAt: first.occurredAt },
    { orderId: second.orderId, kind: 'COMPLETED', amount: '4.00', currencyCode: 'EUR', occurredAt: second.occurredAt },
  ]);

  let sent = 0;
  const off = db.onStatement(() => sent++);
  await db.transaction((tx) => statistics.erasePersonal(tx, c.id));
  off();
  expect(sent).toBe(0);
  expect(await statistics.exportPersonal(db, c.id)).toEqual(before);
  expect(await statistics.exportPersonal(db, (await createCustomer(db)).id)).toEqual({ statistics: null, orders: [] });
});
