import type { IncomingHttpHeaders } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeSupergraph, SubgraphUrls } from './compose';
import { DEFAULT_ORDERS_PORT, ordersPortFromEnv, OrdersSubgraph, startOrdersSubgraph } from './orders-subgraph';

/**
 * A Federation gateway without Docker (`npm run gateway`): @apollo/gateway in an Apollo Server,
 * on the same supergraph as the router in docker-compose.yml (composed from
 * schema/customer.graphql and the demo orders SDL at start, with local subgraph URLs), and
 * the demo orders subgraph in the same process. A development tool: @apollo/gateway is a
 * devDependency and the production image does not contain it (docker compose uses the router).
 */

/** Request headers passed on to every subgraph: the caller's JWT, and its W3C trace context. */
export const FORWARDED_HEADERS = ['authorization', 'traceparent', 'tracestate'] as const;

type GatewayContext = { forwarded: Record<string, string> };

function pickForwarded(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string' && v !== '') out[name] = v;
  }
  return out;
}

type Logger = { debug(m: unknown): void; info(m: unknown): void; warn(m: unknown): void; error(m: unknown): void };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error: (m) => process.stderr.write(`${String(m)}\n`) };

export interface Gateway {
  url: string;
  close(): Promise<void>;
}

export async function startGateway(options: { subgraphs: SubgraphUrls; port?: number; host?: string; logger?: Logger }): Promise<Gateway> {
  const logger = options.logger ?? quiet;
  const gateway = new ApolloGateway({
    supergraphSdl: composeSupergraph(options.subgraphs),
    logger,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url,
        willSendRequest({ request, context }) {
          const forwarded: Record<string, string> = (context as Partial<GatewayContext>).forwarded ?? {};
          for (const [name, value] of Object.entries(forwarded)) request.http?.headers.set(name, value);
        },
      }),
  });
  const server = new ApolloServer<GatewayContext>({ gateway, logger });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port ?? 4000, host: options.host },
    context: async ({ req }) => ({ forwarded: pickForwarded(req.headers) }),
  });
  return { url, close: () => server.stop() };
}

/** `npm run gateway`: the demo orders subgraph and the gateway, against a running customer subgraph. */
async function main(): Promise<void> {
  const customerUrl = process.env.CUSTOMER_SUBGRAPH_URL?.trim() || 'http://localhost:8003/graphql';
  const gatewayPort = Number(process.env.GATEWAY_PORT?.trim() || 4000);
  let orders: OrdersSubgraph | undefined;
  try {
    orders = await startOrdersSubgraph({ port: ordersPortFromEnv() });
    const gw = await startGateway({ subgraphs: { customer: customerUrl, orders: orders.url }, port: gatewayPort, logger: console });
    process.stdout.write(
      [
        `gateway listening on ${gw.url}`,
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
