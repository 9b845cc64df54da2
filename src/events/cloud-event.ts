import { randomUUID } from 'node:crypto';

/** CloudEvents 1.0, JSON format: what the Redis stream `customer.events` carries. */
export interface CloudEvent<D = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string | null;
  time: string;
  datacontenttype: 'application/json';
  data: D;
}

export const EVENT_SOURCE = 'urn:ecommerce:customer-subgraph';

export function cloudEvent<D extends Record<string, unknown>>(type: string, subject: string | null, data: D): CloudEvent<D> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: EVENT_SOURCE,
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
