/**
 * Yields the items of `source` that pass `keep`. Closing the result (a client unsubscribing,
 * the socket closing) closes `source` at once, which unsubscribes from the pub/sub topic.
 *
 * Not an async generator: one suspended in `for await` waiting for the next message cannot be
 * closed until that message arrives, so a subscription ended on a quiet topic kept its topic
 * listener (and its graphql-ws operation) until the next event, or for ever.
 */
export function filterAsync<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  const close = async (): Promise<IteratorResult<T>> => {
    await it.return?.();
    return { done: true, value: undefined };
  };
  return {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    return: close,
    async throw(err: unknown) {
      await close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
