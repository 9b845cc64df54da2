import { isUuid } from '../../common/ids';
import { AMOUNT_PATTERN, fromCents, toCents } from './money';

/**
 * The order service's events, as this subgraph reads them from the Redis stream
 * `order.events` (README "Order events"). One stream entry carries one CloudEvents 1.0 JSON
 * document in its `event` field; other fields of the entry are ignored (kept in the
 * dead-letter copy).
 */
export const ORDER_COMPLETED = 'order.completed';
export const ORDER_REFUNDED = 'order.refunded';

export type OrderEventKind = 'COMPLETED' | 'REFUNDED';

export interface OrderEvent {
  /** The CloudEvent id (for logs; idempotency is by order id). */
  eventId: string;
  type: typeof ORDER_COMPLETED | typeof ORDER_REFUNDED;
  kind: OrderEventKind;
  orderId: string;
  /** Lower case UUID. */
  customerId: string;
  /** Canonical decimal string ("12.50"): the order total, or for a refund the order's total refunded so far. */
  amount: string;
  cents: bigint;
  /** Upper case ISO 4217 code: always the shop currency (anything else is refused). */
  currency: string;
  occurredAt: Date;
  /** From a W3C `traceparent` extension attribute, when the producer sent one. */
  traceId: string | null;
}

/** Why an entry went to the dead-letter stream: a stable code, documented in the README. */
export type RejectReason = 'malformed' | 'invalid_data' | 'currency_mismatch' | 'unknown_customer' | 'order_conflict' | 'processing_failed';

/** An event that will never apply, whatever we retry: it goes to the dead-letter stream. */
export class OrderEventRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'OrderEventRejected';
  }
}

const KIND: Record<string, OrderEventKind> = { [ORDER_COMPLETED]: 'COMPLETED', [ORDER_REFUNDED]: 'REFUNDED' };
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function invalid(field: string, problem: string): OrderEventRejected {
  return new OrderEventRejected('invalid_data', `${field} ${problem}`);
}

/** A stream entry's flat [field, value, field, value, ...] list as an object (the last value of a repeated field wins). */
export function entryFields(raw: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i]] = raw[i + 1];
  return fields;
}

/**
 * Parses and validates one entry. Answers null for a well-formed CloudEvent of another type
 * (the order service may publish its other events on the same stream: they are acknowledged
 * and skipped); throws OrderEventRejected for anything that can never apply.
 */
export function parseOrderEvent(fields: Record<string, string>, shopCurrency: string): OrderEvent | null {
  if (fields.event === undefined) throw new OrderEventRejected('malformed', 'the entry has no "event" field');
  let ce: unknown;
  try {
    ce = JSON.parse(fields.event);
  } catch {
    throw new OrderEventRejected('malformed', '"event" is not valid JSON');
  }
  if (!isObject(ce)) throw new OrderEventRejected('malformed', '"event" is not a JSON object');
  if (ce.specversion !== '1.0') throw new OrderEventRejected('malformed', 'specversion must be "1.0"');
  for (const attr of ['id', 'source', 'type'] as const) {
    if (!nonEmptyString(ce[attr])) throw new OrderEventRejected('malformed', `the CloudEvent attribute "${attr}" is missing`);
  }
  const type = ce.type as string;
  const kind = KIND[type];
  if (!kind) return null;

  const data = ce.data;
  if (!isObject(data)) throw invalid('data', 'must be a JSON object');

  const orderId = typeof data.orderId === 'string' ? data.orderId.trim() : '';
  if (!orderId || orderId.length > 100) throw invalid('data.orderId', 'must be a string of 1 to 100 characters');

  if (!isUuid(data.customerId)) throw invalid('data.customerId', 'must be a customer id (UUID)');

  if (typeof data.amount !== 'string' || !AMOUNT_PATTERN.test(data.amount)) {
    throw invalid('data.amount', 'must be a decimal string with at most 12 integer digits and 2 decimals, e.g. "129.90" (not a JSON number)');
  }
  const cents = toCents(data.amount);

  if (typeof data.currency !== 'string' || !/^[A-Za-z]{3}$/.test(data.currency)) throw invalid('data.currency', 'must be an ISO 4217 code');
  const currency = data.currency.toUpperCase();
  if (currency !== shopCurrency) {
    throw new OrderEventRejected('currency_mismatch', `data.currency is ${currency}; statistics are kept in the shop currency ${shopCurrency}`);
  }

  const when = data.occurredAt ?? ce.time;
  const field = data.occurredAt !== undefined ? 'data.occurredAt' : 'time';
  if (typeof when !== 'string' || !RFC3339.test(when) || Number.isNaN(Date.parse(when))) {
    throw invalid(field, 'must be an RFC 3339 timestamp such as "2026-11-28T10:15:00Z"');
  }

  const traceparent = typeof ce.traceparent === 'string' ? TRACEPARENT.exec(ce.traceparent) : null;
  return {
    eventId: ce.id as string,
    type: type as OrderEvent['type'],
    kind,
    orderId,
    customerId: (data.customerId as string).toLowerCase(),
    amount: fromCents(cents),
    cents,
    currency,
    occurredAt: new Date(when),
    traceId: traceparent ? traceparent[1] : null,
  };
}
