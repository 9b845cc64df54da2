import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';

/**
 * A tiny, in-memory **demo** orders subgraph: just enough of a second subgraph for a gateway
 * to join with ours. `Order.customer` and `Order.shippingAddress` are references the gateway
 * resolves in the customer subgraph; `Customer.orders` extends our `Customer` and needs its
 * email (`@requires`), so the gateway fetches the email from us first. No authentication and
 * no persistence: it is a demo, not the order service.
 *
 * `node dist/gateway/orders-subgraph.js` serves it on ORDERS_HTTP_PORT (default 4002), as the
 * `orders` service of docker-compose.yml does; `npm run gateway` starts it in-process.
 */
export const ORDERS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external", "@requires", "@shareable"])

"A demo order, kept in memory by the demo orders subgraph."
type Order @key(fields: "id") {
  id: ID!
  customer: Customer!
  shippingAddress: CustomerAddress
  total: Money!
  placedAt: String!
}

type Customer @key(fields: "id") {
  id: ID!
  email: String! @external
  "Needs the email from the customer subgraph, e.g. to match guest orders."
  orders: [Order!]! @requires(fields: "email")
}

type CustomerAddress @key(fields: "id", resolvable: false) {
  id: ID!
}

type Money @shareable {
  amount: String!
  currencyCode: String!
}

type Query {
  order(id: ID!): Order
  "Every demo order, newest first."
  orders: [Order!]!
}

type Mutation {
  "Demo only, no authentication: records an order for a customer of the customer subgraph."
  placeOrder(customerId: ID!, amount: String!, shippingAddressId: ID): Order!
}
`;

/** The environment variables the demo orders subgraph reads (docker-compose.yml is checked against this list). */
export const ORDERS_ENV = ['ORDERS_HTTP_PORT'] as const;
export const DEFAULT_ORDERS_PORT = 4002;

export interface DemoOrderInput {
  customerId: string;
  /** Decimal string, like Money.amount: "12.50". */
  amount: string;
  shippingAddressId?: string | null;
}

export interface DemoOrder extends Required<DemoOrderInput> {
  id: string;
  placedAt: string;
}

export class DemoOrderStore {
  private readonly orders = new Map<string, DemoOrder>();
  private next = 1;

  place(input: DemoOrderInput): DemoOrder {
    if (!/^\d{1,12}(\.\d{1,2})?$/.test(input.amount)) {
      throw new GraphQLError('amount must be a decimal string such as "12.50"', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    const order: DemoOrder = {
      id: `order-${this.next++}`,
      customerId: input.customerId,
      amount: Number(input.amount).toFixed(2),
      shippingAddressId: input.shippingAddressId ?? null,
      placedAt: new Date().toISOString(),
    };
    this.orders.set(order.id, order);
    return order;
  }

  get(id: string): DemoOrder | null {
    return this.orders.get(id) ?? null;
  }

  all(): DemoOrder[] {
    return [...this.orders.values()].reverse();
  }

  forCustomer(customerId: string): DemoOrder[] {
    return this.all().filter((o) => o.customerId === customerId);
  }
}

export function buildOrdersSchema(store: DemoOrderStore) {
  const resolvers = {
    Query: {
      order: (_: unknown, args: { id: string }) => store.get(args.id),
      orders: () => store.all(),
    },
    Mutation: {
      placeOrder: (_: unknown, args: DemoOrderInput) => store.place(args),
    },
    Order: {
      __resolveReference: (ref: { id: string }) => store.get(ref.id),
      customer: (o: DemoOrder) => ({ __typename: 'Customer', id: o.customerId }),
      shippingAddress: (o: DemoOrder) => (o.shippingAddressId ? { __typename: 'CustomerAddress', id: o.shippingAddressId } : null),
      total: (o: DemoOrder) => ({ amount: o.amount, currencyCode: 'USD' }),
    },
    Customer: {
      // The representation carries the email only because of @requires: a gateway that did not
      // fetch it from the customer subgraph first is a bug worth an error, not an empty list.
      orders: (ref: { id: string; email?: string }) => {
        if (typeof ref.email !== 'string') throw new GraphQLError('Customer.orders needs the email (@requires)');
        return store.forCustomer(ref.id);
      },
    },
  };
  return buildSubgraphSchema([{ typeDefs: parse(ORDERS_SDL), resolvers: resolvers as never }]);
}

export interface OrdersSubgraph {
  url: string;
  store: DemoOrderStore;
  close(): Promise<void>;
}

/** Starts the demo orders subgraph (port 0: any free port), optionally with orders already placed. */
export async function startOrdersSubgraph(options: { port?: number; host?: string; orders?: DemoOrderInput[] } = {}): Promise<OrdersSubgraph> {
  const store = new DemoOrderStore();
  for (const o of options.orders ?? []) store.place(o);
  // No federated tracing (ftv1): nothing here reports to GraphOS.
  const server = new ApolloServer({ schema: buildOrdersSchema(store), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { port: options.port ?? DEFAULT_ORDERS_PORT, host: options.host } });
  return { url: new URL('/graphql', url).toString(), store, close: () => server.stop() };
}

export function ordersPortFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.ORDERS_HTTP_PORT?.trim();
  if (!raw) return DEFAULT_ORDERS_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`Invalid configuration: ORDERS_HTTP_PORT must be a port number, got "${raw}"`);
  return port;
}

if (require.main === module) {
  startOrdersSubgraph({ port: ordersPortFromEnv() })
    .then((orders) => {
      process.stdout.write(`demo orders subgraph listening on ${orders.url}\n`);
      const stop = () => void orders.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    });
}
