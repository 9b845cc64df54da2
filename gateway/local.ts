import http from 'node:http';
import { createGatewayRuntime, getGraphQLWSOptions, HTTPTransport } from '@graphql-hive/gateway';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { composeSupergraph, SubgraphUrls } from './compose';
import { DEFAULT_ORDERS_PORT, ordersPortFromEnv, OrdersSubgraph, startOrdersSubgraph } from './orders-subgraph';
import { callerAuthorization, subgraphWsTransport } from './subgraph-ws-transport';

/**
 * A Federation gateway without Docker (`npm run gateway`): Hive Gateway (@graphql-hive/gateway)
 * in this process, on the same supergraph as the router in docker-compose.yml (composed from
 * schema/customer.graphql and the demo orders SDL at start, with local subgraph URLs), and the
 * demo orders subgraph in the same process. Queries and mutations go to the subgraphs over
 * HTTP; subscriptions to the customer subgraph over graphql-ws (subgraph-ws-transport.ts), as
 * Apollo Router's passthrough mode does. Clients subscribe over graphql-ws on the gateway's
 * /graphql, or over HTTP (SSE). A development tool: @graphql-hive/gateway is a devDependency and
 * the production image does not contain it (docker compose uses the router).
 */

/** Request headers passed on to every subgraph: the caller's JWT, and its W3C trace context. */
export const FORWARDED_HEADERS = ['authorization', 'traceparent', 'tracestate'] as const;

/**
 * X-Forwarded-For for the subgraphs: what the client sent, then the address it connected from,
 * as a reverse proxy appends it. The customer subgraph trusts loopback hops by default
 * (CUSTOMER_TRUSTED_PROXIES), so it counts each client under its own address for the per-IP
 * limit and the audit rows, not every client under the gateway's; a client that is not on
 * loopback cannot choose its address, as the gateway's hop names it.
 */
export function forwardedFor(sent: string | null, remoteAddress: string | undefined): string | null {
  if (!remoteAddress) return sent;
  return sent ? `${sent}, ${remoteAddress}` : remoteAddress;
}

export const GATEWAY_PATH = '/graphql';

export interface Gateway {
  /** http://host:port/graphql (the same path takes graphql-ws: ws://host:port/graphql). */
  url: string;
  close(): Promise<void>;
}

export async function startGateway(options: { subgraphs: SubgraphUrls; port?: number; host?: string; log?: boolean }): Promise<Gateway> {
  const runtime = createGatewayRuntime({
    supergraph: composeSupergraph(options.subgraphs),
    graphqlEndpoint: GATEWAY_PATH,
    // Off by default: the subgraphs' errors (with their codes) are what a client needs to see.
    logging: options.log ? 'info' : false,
    landingPage: false,
    // The subgraphs' errors (UNAUTHENTICATED, FORBIDDEN, ...) reach the client as they are, like
    // `include_subgraph_errors` in router.yaml; the subgraphs already keep internals out of them.
    maskedErrors: false,
    // `as never`: our transport is typed with the top-level @graphql-tools/utils, the runtime
    // with its own copy; the shapes are the same.
    transports: { http: HTTPTransport, ws: subgraphWsTransport as never },
    // Subscriptions to the customer subgraph over graphql-ws on its /graphql.
    transportEntries: { customer: { options: { subscriptions: { kind: 'ws' } } } },
    propagateHeaders: {
      // A client on graphql-ws has its token in connectionParams, not in a header: the HTTP
      // requests its subscription's joins make (Customer.orders, _entities) carry it too.
      fromClientToSubgraphs: ({ request, context }) => {
        const headers: Record<string, string> = {};
        for (const name of FORWARDED_HEADERS) {
          const value = name === 'authorization' ? callerAuthorization(context) : request.headers.get(name);
          if (value) headers[name] = value;
        }
        // The client's connection: the HTTP request's, or a graphql-ws client's upgrade request.
        const client = (context as { req?: http.IncomingMessage }).req;
        const forwarded = forwardedFor(request.headers.get('x-forwarded-for'), client?.socket?.remoteAddress);
        if (forwarded) headers['x-forwarded-for'] = forwarded;
        return headers;
      },
    },
  });

  // Load the supergraph now: an HTTP request would do it on its way in, but a graphql-ws
  // operation reaches the runtime past those hooks and would find no schema yet.
  await runtime.getSchema();
  const server = http.createServer(runtime);
  const wsServer = new WebSocketServer({ server, path: GATEWAY_PATH });
  const ws = useServer(
    getGraphQLWSOptions(runtime, (ctx) => {
      const { request: upgrade, socket } = ctx.extra as { request: http.IncomingMessage; socket: unknown };
      // The upgrade request, as the Fetch Request the gateway's plugins read headers from.
      const headers = Object.entries(upgrade.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : []));
      return { req: upgrade, socket, request: new Request(`http://gateway${upgrade.url ?? GATEWAY_PATH}`, { headers }) };
    }),
    wsServer,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, options.host, resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? 'localhost'}:${port}${GATEWAY_PATH}`,
    close: async () => {
      await ws.dispose();
      wsServer.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.dispose();
    },
  };
}

/** `npm run gateway`: the demo orders subgraph and the gateway, against a running customer subgraph. */
async function main(): Promise<void> {
  const customerUrl = process.env.CUSTOMER_SUBGRAPH_URL?.trim() || 'http://localhost:8003/graphql';
  const gatewayPort = Number(process.env.GATEWAY_PORT?.trim() || 4000);
  let orders: OrdersSubgraph | undefined;
  try {
    orders = await startOrdersSubgraph({ port: ordersPortFromEnv() });
    const gw = await startGateway({ subgraphs: { customer: customerUrl, orders: orders.url }, port: gatewayPort, log: true });
    process.stdout.write(
      [
        `Hive Gateway listening on ${gw.url} (queries and mutations over HTTP; subscriptions over graphql-ws on ${gw.url.replace(/^http/, 'ws')} or SSE)`,
        `  customer subgraph: ${customerUrl} (CUSTOMER_SUBGRAPH_URL; start it with npm start)`,
        `  demo orders subgraph: ${orders.url} (ORDERS_HTTP_PORT, default ${DEFAULT_ORDERS_PORT})`,
        '',
      ].join('\n'),
    );
    const stop = () => void Promise.allSettled([gw.close(), orders!.close()]).then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (err) {
    await orders?.close();
    throw err;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
