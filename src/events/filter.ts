/**
 * Yields the items of `source` that pass `keep`. Closing the result (a client unsubscribing)
 * closes `source`, which unsubscribes from the pub/sub topic.
 */
export async function* filterAsync<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of source) if (keep(item)) yield item;
}
