import { lockCustomer } from '../../db/locks';
import type { UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { fromCents, minCents, toCents } from './money';
import { OrderEvent, OrderEventRejected } from './order-event';
import { LedgerRow, StatisticsRepository } from './statistics.repository';

/** What applying an order event did. */
export type ApplyOutcome =
  /** The statistics changed (segments are re-scored, `customer.statistics_updated` emitted). */
  | 'applied'
  /** Only the ledger changed: a refund of an order not (yet) counted, or beyond its amount. */
  | 'recorded'
  /** Already applied: a replay, or a refund total no higher than the one we know. */
  | 'duplicate';

/** Outbox event of a statistics change: ids and field names, no amounts (as every event on `customer.events`). */
export const STATISTICS_UPDATED = 'customer.statistics_updated';

/**
 * Customer statistics, fed by the order service's events. Statistics are a function of the
 * ledger (`customer_order_ledger`, one row per order and kind):
 *
 *   total_orders = completed orders
 *   total_spent  = sum over completed orders of (amount - least(refunded total, amount))
 *
 * and each event moves them by exactly its difference, so the result does not depend on the
 * order in which events arrive (a refund seen before its completion is netted when the
 * completion comes). Everything runs inside the caller's unit of work, under the customer's
 * row lock, so events of one customer apply one after another across replicas.
 */
export class StatisticsService {
  constructor(
    /** ISO 4217 code statistics are kept in (CUSTOMER_SHOP_CURRENCY). */
    readonly shopCurrency: string,
    private readonly statistics = new StatisticsRepository(),
  ) {}

  async apply(w: UnitOfWork, e: OrderEvent): Promise<ApplyOutcome> {
    try {
      await lockCustomer(w.tx, e.customerId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') {
        throw new OrderEventRejected('unknown_customer', `no live customer ${e.customerId}`);
      }
      throw err;
    }
    const ledger = await this.statistics.ledgerOf(w.tx, e.orderId);
    const completed = ledger.find((r) => r.kind === 'COMPLETED') ?? null;
    const refunded = ledger.find((r) => r.kind === 'REFUNDED') ?? null;
    for (const row of [completed, refunded]) {
      if (row && row.customerId !== e.customerId) {
        throw new OrderEventRejected('order_conflict', `order ${e.orderId} is recorded for another customer`);
      }
    }
    return e.kind === 'COMPLETED' ? this.complete(w, e, completed, refunded) : this.refund(w, e, completed, refunded);
  }

  private async complete(w: UnitOfWork, e: OrderEvent, completed: LedgerRow | null, refunded: LedgerRow | null): Promise<ApplyOutcome> {
    if (completed) {
      if (toCents(completed.amount) === e.cents) return 'duplicate';
      throw new OrderEventRejected('order_conflict', `order ${e.orderId} was already counted with the amount ${completed.amount}`);
    }
    const inserted = await this.statistics.recordCompletion(w.tx, e);
    // Lost a race with a completion of the same order id for another customer.
    if (!inserted) throw new OrderEventRejected('order_conflict', `order ${e.orderId} is recorded for another customer`);
    const net = e.cents - (refunded ? minCents(toCents(refunded.amount), e.cents) : 0n);
    const row = await this.statistics.countCompletion(w.tx, e.customerId, fromCents(net), e.currency, e.occurredAt);
    if (!row) throw this.otherCurrency(e);
    const changed = ['totalOrders', 'totalSpent', 'averageOrderValue'];
    if (row.firstOrderAt.getTime() === e.occurredAt.getTime()) changed.push('firstOrderAt');
    if (row.lastOrderAt.getTime() === e.occurredAt.getTime()) changed.push('lastOrderAt');
    this.emit(w, e, changed);
    return 'applied';
  }

  /** `amount` of a refund is the order's total refunded so far: only an increase counts. */
  private async refund(w: UnitOfWork, e: OrderEvent, completed: LedgerRow | null, refunded: LedgerRow | null): Promise<ApplyOutcome> {
    const before = refunded ? toCents(refunded.amount) : 0n;
    if (refunded && e.cents <= before) return 'duplicate';
    const written = await this.statistics.recordRefund(w.tx, e);
    if (!written) throw new OrderEventRejected('order_conflict', `order ${e.orderId} is recorded for another customer`);
    // Not counted yet: the completion nets this refund when it comes.
    if (!completed) return 'recorded';
    const orderCents = toCents(completed.amount);
    // A refund beyond the order's amount counts as a full refund: an order never goes below zero.
    const delta = minCents(e.cents, orderCents) - minCents(before, orderCents);
    if (delta === 0n) return 'recorded';
    const updated = await this.statistics.subtractSpent(w.tx, e.customerId, fromCents(delta), e.currency);
    if (!updated) throw this.otherCurrency(e);
    this.emit(w, e, ['totalSpent', 'averageOrderValue']);
    return 'applied';
  }

  private otherCurrency(e: OrderEvent): OrderEventRejected {
    return new OrderEventRejected('currency_mismatch', `the statistics of customer ${e.customerId} are kept in another currency than ${e.currency}`);
  }

  private emit(w: UnitOfWork, e: OrderEvent, changedFields: string[]): void {
    w.emit({
      type: STATISTICS_UPDATED,
      customerId: e.customerId,
      data: { customerId: e.customerId, orderId: e.orderId, orderEventId: e.eventId, orderEventType: e.type, changedFields },
    });
  }
}
