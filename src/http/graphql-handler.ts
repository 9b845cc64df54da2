import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';

export const MAX_BODY_BYTES = 256 * 1024;
/** Past this a chunked body is not even read to its end: the connection is simply closed. */
const DRAIN_BYTES = 16 * MAX_BODY_BYTES;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (req.method !== 'POST') return Promise.resolve(undefined);
  // Refused unread when announced; the 413 closes the connection, so the rest is never parsed.
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      } else if (size <= DRAIN_BYTES) {
        // A chunked body past the limit is read to its end but not kept: closing the socket
        // on a client still sending loses the 413 (it sees a reset instead).
        chunks.length = 0;
      } else {
        reject(tooLarge());
        req.destroy();
      }
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(tooLarge());
      const text = Buffer.concat(chunks).toString('utf8');
      const type = req.headers['content-type'] ?? '';
      // Non-JSON bodies go to Apollo as text, which answers them with its own 400.
      if (!/^application\/(graphql-response\+)?json/i.test(type)) return resolve(text);
      try {
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch {
        reject(new BodyError(400, 'The request body is not valid JSON'));
      }
    });
  });
}

function tooLarge(): BodyError {
  return new BodyError(413, `Request body too large (the limit is ${MAX_BODY_BYTES} bytes)`);
}

/**
 * The /graphql endpoint as a plain `http` handler around Apollo Server's documented
 * `executeHTTPGraphQLRequest`: no router or body-parser middleware chain on the hot path
 * (the benchmark's floor is a plain `http` server, and every layer counts against it).
 */
export function graphqlHandler<C extends object>(
  apollo: ApolloServer<C>,
  context: (req: IncomingMessage) => Promise<C>,
  /** Headers of every answer (name, value, name, value...), sent with Apollo's in one `writeHead`. */
  fixedHeaders: readonly string[],
  /** Headers that depend on the request (CORS: its origin), sent with the others. */
  headersFor: (req: IncomingMessage) => readonly string[] = () => [],
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (err) {
      const status = err instanceof BodyError ? err.status : 400;
      const close = status === 413 ? ['connection', 'close'] : [];
      res.writeHead(status, [...fixedHeaders, ...headersFor(req), 'cache-control', 'no-store', 'content-type', 'application/json', ...close]);
      res.end(JSON.stringify({ errors: [{ message: (err as Error).message, extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers,
      search: q >= 0 ? url.slice(q) : '',
      body,
    };
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => context(req) });
    const head = [...fixedHeaders, ...headersFor(req)];
    // Nothing is cacheable unless the answer says so (cache-hints.ts sets the hint of an operation).
    if (!response.headers.has('cache-control')) head.push('cache-control', 'no-store');
    for (const [key, value] of response.headers) head.push(key, value);
    res.writeHead(response.status ?? 200, head);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
