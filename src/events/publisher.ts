import type { PubSubEngine } from 'graphql-subscriptions';
import type Redis from 'ioredis';
import type { CloudEvent } from './cloud-event';
import {
  AUDIT_RECORDED,
  AuditRecordedMessage,
  CHANGE_EVENT_TYPES,
  CustomerChangedMessage,
  MEMBERSHIP_CHANGED,
  SegmentMembershipMessage,
  STREAM,
  TOPICS,
} from './topics';

/** ioredis's messages for an unreachable server, and Redis's replies that mean "not now" rather than "not this". */
const OUTAGE =
  /^(Connection is closed|Stream isn't writeable|Command timed out|connect E|read E|write E|OOM |LOADING |BUSY |MASTERDOWN |READONLY |CLUSTERDOWN |TRYAGAIN |NOREPLICAS |MISCONF )|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/;

/** A claimed outbox row. */
export interface OutboxRow {
  seq: string;
  id: string;
  customerId: string | null;
  type: string;
  payload: CloudEvent;
  attempts: number;
}

/**
 * Publishes a batch in outbox order: first the Redis stream `customer.events` (one pipeline;
 * any failure fails the batch, which is retried whole: delivery is at least once and the
 * CloudEvent id lets consumers dedupe), then the subscription topics, in order.
 */
export class EventPublisher {
  constructor(
    private readonly pubsub: PubSubEngine,
    private readonly redis: Redis | null,
    private readonly streamMaxLen: number,
    /** `customer.events`, behind CUSTOMER_EVENTS_NAMESPACE when one is set. */
    readonly stream: string = STREAM,
  ) {}

  async publish(rows: OutboxRow[]): Promise<void> {
    const streamed = rows.filter((r) => r.type !== AUDIT_RECORDED);
    if (this.redis && streamed.length) {
      const pipe = this.redis.pipeline();
      for (const r of streamed) {
        pipe.xadd(
          this.stream,
          'MAXLEN',
          '~',
          String(this.streamMaxLen),
          '*',
          'id',
          r.id,
          'type',
          r.type,
          'subject',
          r.customerId ?? '',
          'event',
          JSON.stringify(r.payload),
        );
      }
      const results = await pipe.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('the Redis pipeline was not executed');
    }
    // Every publish issued at once: they go out in this order on one connection (pipelined)
    // instead of one round trip after another.
    await Promise.all(rows.map((r) => this.toTopic(r)));
  }

  /**
   * True when a publish failed because Redis could not be reached or could not take writes
   * just then (closed connection, command timeout, a server loading, out of memory, a replica
   * that is read-only): an outage, which says nothing about the events. The relay retries those
   * for as long as the outage lasts; only other failures count towards an event's dead letter.
   */
  isOutage(err: unknown): boolean {
    if (this.redis && this.redis.status !== 'ready') return true;
    const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
    if (name === 'MaxRetriesPerRequestError') return true;
    return typeof message === 'string' && OUTAGE.test(message);
  }

  private toTopic(r: OutboxRow): Promise<void> | undefined {
    if (r.type === AUDIT_RECORDED) return this.pubsub.publish(TOPICS.auditRecorded, r.payload.data as unknown as AuditRecordedMessage);
    if (r.type === MEMBERSHIP_CHANGED) {
      const data = r.payload.data as { segmentId: string; customerId: string; joined: boolean };
      const message: SegmentMembershipMessage = { segmentId: data.segmentId, customerId: data.customerId, joined: data.joined, occurredAt: r.payload.time };
      return this.pubsub.publish(TOPICS.segmentMembership, message);
    }
    const changeType = CHANGE_EVENT_TYPES[r.type];
    if (!changeType || !r.customerId) return undefined;
    const message: CustomerChangedMessage = { eventId: r.id, type: changeType, customerId: r.customerId, occurredAt: r.payload.time };
    return this.pubsub.publish(TOPICS.customerChanged, message);
  }
}
