import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  /** Resolves once `n` events have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
  close(): void;
}

export function wsClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
}

/** Subscribes and collects events; the returned promise resolves once the subscription is live. */
export async function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Subscription<T>> {
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: (() => void)[] = [];
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        if (v.data) events.push(v.data as T);
        waiters.forEach((w) => w());
      },
      error: (e) => {
        // A refused connection arrives as a CloseEvent, which does not serialise on its own.
        const close = e as { code?: number; reason?: string };
        errors.push(typeof close.code === 'number' ? { code: close.code, reason: close.reason } : e);
        waiters.forEach((w) => w());
      },
      complete: () => undefined,
    },
  );
  // graphql-ws gives no "subscribed" ack; give the server a moment to attach to the topic.
  await new Promise((r) => setTimeout(r, 300));
  return {
    events,
    errors,
    waitFor: (n, timeoutMs = 10000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (events.length >= n) resolve(events);
          else if (errors.length) reject(new Error(JSON.stringify(errors)));
        };
        const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${n} events; errors ${JSON.stringify(errors)}`)), timeoutMs);
        waiters.push(() => {
          check();
          if (events.length >= n || errors.length) clearTimeout(timer);
        });
        check();
      }),
    close: dispose,
  };
}
