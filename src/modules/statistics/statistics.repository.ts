import type { ColumnMap } from '../../db/columns';
import type { Queryable } from '../../db/database';
import { selectRecord } from '../../db/select-record';
import { CustomerStatisticsEntity, OrderLedgerEntity } from './statistics.entity';
import type { OrderEventKind } from './order-event';
import { STATISTICS_COLUMN, StatisticsRow } from './statistics.record';

/** An order's ledger row: what was recorded for it, and for whom. Amounts as exact text. */
export interface LedgerRow {
  kind: OrderEventKind;
  customerId: string;
  amount: string;
}

/** An order event as the ledger records it: `amount` is exact decimal text. */
export interface LedgerEntry {
  orderId: string;
  customerId: string;
  amount: string;
  currency: string;
  occurredAt: Date;
}

/** A ledger row as the data export shows it. */
export interface OrderExportRow {
  orderId: string;
  kind: OrderEventKind;
  amount: string;
  currencyCode: string;
  occurredAt: Date;
}

const LEDGER_COLUMN: ColumnMap<LedgerRow> = { kind: 'l.kind', customerId: 'l.customer_id', amount: 'l.amount::text' };
const ORDER_EXPORT_COLUMN: ColumnMap<OrderExportRow> = {
  orderId: 'l.order_id',
  kind: 'l.kind',
  amount: 'l.amount::text',
  currencyCode: 'l.currency_code',
  occurredAt: 'l.occurred_at',
};

// Counting a completion adds to the customer's current figures (or starts them), in the
// statistics' own currency only: an upsert whose update reads the row it conflicts with and is
// guarded by a WHERE. TypeORM's `orUpdate` can only copy the proposed values: `manager.query`.
const COUNT_COMPLETION = `INSERT INTO customer_statistics AS s (customer_id, total_orders, total_spent, currency_code, first_order_at, last_order_at)
  VALUES ($1, 1, $2::numeric, $3, $4, $4)
  ON CONFLICT (customer_id) DO UPDATE
     SET total_orders = s.total_orders + 1,
         total_spent = s.total_spent + EXCLUDED.total_spent,
         first_order_at = least(s.first_order_at, EXCLUDED.first_order_at),
         last_order_at = greatest(s.last_order_at, EXCLUDED.last_order_at),
         updated_at = now()
   WHERE s.currency_code = EXCLUDED.currency_code
  RETURNING s.first_order_at AS "firstOrderAt", s.last_order_at AS "lastOrderAt"`;

// A refund total replaces the one recorded only when it is higher and for the same customer:
// a guarded upsert again (see above), so `manager.query`.
const RECORD_REFUND = `INSERT INTO customer_order_ledger AS l (order_id, kind, customer_id, amount, currency_code, occurred_at)
  VALUES ($1, 'REFUNDED', $2, $3::numeric, $4, $5)
  ON CONFLICT (order_id, kind) DO UPDATE
     SET amount = EXCLUDED.amount, occurred_at = EXCLUDED.occurred_at, applied_at = now()
   WHERE l.customer_id = EXCLUDED.customer_id AND l.amount < EXCLUDED.amount
  RETURNING 1`;

/**
 * `customer_statistics` and `customer_order_ledger` (the idempotency key of order events): the
 * only code that reads or writes them. The rules that keep the statistics a function of the
 * ledger are the service's (statistics.service.ts), run under the customer's row lock. Each method
 * takes the database or the unit of work's transaction (`Queryable`) and sends one statement
 * unless it says otherwise.
 */
export class StatisticsRepository {
  /** Statistics of many customers (none: no order counted yet). `= ANY(:ids)`: one statement text whatever the number of ids. */
  byCustomers(q: Queryable, customerIds: readonly string[]): Promise<StatisticsRow[]> {
    return selectRecord(q.manager.createQueryBuilder(CustomerStatisticsEntity, 's'), STATISTICS_COLUMN)
      .where('s.customer_id = ANY(:ids::uuid[])', { ids: customerIds })
      .getRawMany<StatisticsRow>();
  }

  /** What the ledger holds for an order (a completion, a refund, both or nothing). */
  ledgerOf(q: Queryable, orderId: string): Promise<LedgerRow[]> {
    return selectRecord(q.manager.createQueryBuilder(OrderLedgerEntity, 'l'), LEDGER_COLUMN)
      .where('l.order_id = :orderId', { orderId })
      .getRawMany<LedgerRow>();
  }

  /** Records an order's completion; false when the order already has one (a race with another customer's). */
  async recordCompletion(tx: Queryable, e: LedgerEntry): Promise<boolean> {
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(OrderLedgerEntity)
      .values({ orderId: e.orderId, kind: 'COMPLETED', customerId: e.customerId, amount: e.amount, currencyCode: e.currency, occurredAt: e.occurredAt })
      .orIgnore()
      .returning('order_id')
      .updateEntity(false)
      .execute();
    return (res.raw as unknown[]).length > 0;
  }

  /** Records an order's refunded total; false when it is not higher than the recorded one, or the order is another customer's. */
  async recordRefund(tx: Queryable, e: LedgerEntry): Promise<boolean> {
    const rows = await tx.manager.query<unknown[]>(RECORD_REFUND, [e.orderId, e.customerId, e.amount, e.currency, e.occurredAt]);
    return rows.length > 0;
  }

  /**
   * Counts a completed order of `net` (its amount less what was refunded before it was counted):
   * the first and last order times after it, null when the statistics are kept in another currency.
   */
  async countCompletion(
    tx: Queryable,
    customerId: string,
    net: string,
    currency: string,
    occurredAt: Date,
  ): Promise<{ firstOrderAt: Date; lastOrderAt: Date } | null> {
    const [row] = await tx.manager.query<{ firstOrderAt: Date; lastOrderAt: Date }[]>(COUNT_COMPLETION, [customerId, net, currency, occurredAt]);
    return row ?? null;
  }

  /** Takes a refund off the total spent; false when the statistics are kept in another currency (or there are none). */
  async subtractSpent(tx: Queryable, customerId: string, amount: string, currency: string): Promise<boolean> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerStatisticsEntity)
      .set({ totalSpent: () => 'total_spent - :amount::numeric', updatedAt: () => 'now()' })
      .where('customer_id = :customerId AND currency_code = :currency', { customerId, currency, amount })
      .returning('customer_id')
      .execute();
    return (res.raw as unknown[]).length > 0;
  }

  /**
   * GDPR erasure: nothing. The statistics and the order ledger are kept (order ids, amounts and
   * times, no personal values: bookkeeping of orders the order service keeps anyway; README, "What
   * we keep and why"), and go with the customer row if it is ever deleted. Sends no statement.
   */
  async erasePersonal(_tx: Queryable, _customerId: string): Promise<void> {}

  /** GDPR export (two statements): the statistics (null before the first order) and the ledger, oldest first. */
  async exportPersonal(q: Queryable, customerId: string): Promise<{ statistics: StatisticsRow | null; orders: OrderExportRow[] }> {
    const statistics = await selectRecord(q.manager.createQueryBuilder(CustomerStatisticsEntity, 's'), STATISTICS_COLUMN)
      .where('s.customer_id = :customerId', { customerId })
      .getRawOne<StatisticsRow>();
    const orders = await selectRecord(q.manager.createQueryBuilder(OrderLedgerEntity, 'l'), ORDER_EXPORT_COLUMN)
      .where('l.customer_id = :customerId', { customerId })
      .orderBy('l.occurred_at')
      .addOrderBy('l.order_id')
      .getRawMany<OrderExportRow>();
    return { statistics: statistics ?? null, orders };
  }
}
