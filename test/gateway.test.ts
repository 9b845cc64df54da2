import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse as parseGraphql, Kind, print } from 'graphql';
import YAML from 'yaml';
import { COMPOSE_URLS, composeSupergraph, ROOT, SUPERGRAPH_FILE } from '../gateway/compose';
import { FORWARDED_HEADERS, Gateway, startGateway } from '../gateway/local';
import { ORDERS_ENV, OrdersSubgraph, startOrdersSubgraph } from '../gateway/orders-subgraph';
import { loadConfig } from '../src/config/config';
import { compileTrust } from '../src/context/request-meta';
import { callbackRefusal } from '../src/http/subscription-callbacks';
import { createCustomer, GqlResponse, postGraphql, startTestServer, TestServer, tokens } from './helpers/server';

const ORDER_QUERY = `query($id: ID!) { order(id: $id) { id total { amount currencyCode } shippingAddress { id city } customer { id email addresses { city } } } }`;

describe('through a gateway: customer subgraph + demo orders subgraph', () => {
  let customer: TestServer;
  let orders: OrdersSubgraph;
  let gateway: Gateway;
  let customerId: string;
  let email: string;
  let addressId: string;
  let orderId: string;

  const viaGateway = (query: string, variables?: Record<string, unknown>, token?: string | null, headers?: Record<string, string>): Promise<GqlResponse> =>
    postGraphql(gateway.url, query, variables, token, headers);

  beforeAll(async () => {
    customer = await startTestServer();
    const c = await createCustomer(customer);
    customerId = c.id;
    email = c.email;
    const address = await customer.gql(
      'mutation($c: ID!, $input: AddressInput!) { createAddress(customerId: $c, input: $input) { id } }',
      { c: customerId, input: { addressLine1: '1 Harbour Road', city: 'Rotterdam', postalCode: '3011 AA', countryCode: 'NL' } },
      tokens.admin(),
    );
    addressId = address.data!.createAddress.id;
    orders = await startOrdersSubgraph({ port: 0, host: '127.0.0.1', orders: [{ customerId, amount: '42.5', shippingAddressId: addressId }] });
    orderId = orders.store.all()[0].id;
    gateway = await startGateway({ subgraphs: { customer: customer.url, orders: orders.url }, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await customer?.close();
  });

  it('joins order { customer { email addresses { city } } } across both subgraphs with an ADMIN token', async () => {
    const res = await viaGateway(ORDER_QUERY, { id: orderId }, tokens.admin());
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      order: {
        id: orderId,
        total: { amount: '42.50', currencyCode: 'USD' },
        shippingAddress: { id: addressId, city: 'Rotterdam' },
        customer: { id: customerId, email, addresses: [{ city: 'Rotterdam' }] },
      },
    });
  });

  it("forwards the caller's JWT: the customer may read their own order, an anonymous caller gets no email", async () => {
    const own = await viaGateway(ORDER_QUERY, { id: orderId }, tokens.customer(customerId));
    expect(own.errors).toBeUndefined();
    expect(own.data!.order.customer).toEqual({ id: customerId, email, addresses: [{ city: 'Rotterdam' }] });

    // Order.customer is non-null, so the refused entity nulls the whole order.
    const anonymous = await viaGateway(ORDER_QUERY, { id: orderId }, null);
    expect(anonymous.data).toEqual({ order: null });
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous)).not.toContain(email);

    const other = await viaGateway(ORDER_QUERY, { id: orderId }, tokens.customer('00000000-0000-4000-8000-000000000000'));
    expect(other.data).toEqual({ order: null });
    expect(other.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
  });

  it('resolves Customer.orders @requires(fields: "email"): the gateway fetches the email first', async () => {
    const res = await viaGateway('query($id: ID!) { customer(id: $id) { email orders { id total { amount } } } }', { id: customerId }, tokens.admin());
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ customer: { email, orders: [{ id: orderId, total: { amount: '42.50' } }] } });
  });

  it('routes mutations to their subgraph: placeOrder on the demo orders subgraph, then read it back', async () => {
    const placed = await viaGateway(
      'mutation($c: ID!) { placeOrder(customerId: $c, amount: "9.99") { id customer { email } } }',
      { c: customerId },
      tokens.admin(),
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder.customer).toEqual({ email });
    const read = await viaGateway('query($id: ID!) { customer(id: $id) { orders { total { amount } } } }', { id: customerId }, tokens.admin());
    expect(read.data!.customer.orders.map((o: { total: { amount: string } }) => o.total.amount)).toEqual(['9.99', '42.50']);
  });

  it('forwards the authorization and W3C trace headers, and the client address, to every subgraph', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const spy = await startOrdersSubgraph({ port: 0, host: '127.0.0.1' });
    // A pass-through proxy in front of the orders subgraph records what the gateway sends.
    const proxy = http.createServer((req, res) => {
      seen.push(Object.fromEntries([...FORWARDED_HEADERS, 'x-forwarded-for'].map((h) => [h, req.headers[h] as string | undefined])));
      const upstream = http.request(spy.url, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    const gw = await startGateway({ subgraphs: { customer: customer.url, orders: `http://127.0.0.1:${port}/graphql` }, port: 0, host: '127.0.0.1' });
    try {
      const token = tokens.admin();
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const res = await postGraphql(gw.url, '{ orders { id } }', undefined, token, { traceparent });
      expect(res.errors).toBeUndefined();
      // And the client's address, appended as a proxy does (the subgraph trusts the loopback hop).
      expect(seen).toEqual([{ authorization: `Bearer ${token}`, traceparent, tracestate: undefined, 'x-forwarded-for': '127.0.0.1' }]);
      await postGraphql(gw.url, '{ orders { id } }', undefined, token, { 'x-forwarded-for': '203.0.113.9' });
      expect(seen[1]['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    } finally {
      await gw.close();
      await new Promise((resolve) => proxy.close(resolve));
      await spy.close();
    }
  });
});

describe('gateway/supergraph.graphql (what the router in docker-compose.yml runs)', () => {
  it('is current: schema/customer.graphql + the demo orders SDL composed (run `npm run supergraph` after schema:emit)', () => {
    expect(fs.readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(composeSupergraph(COMPOSE_URLS));
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml: no Docker engine here, so the file is checked against the code instead.

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  networks?: Record<string, { ipv4_address?: string }>;
};

const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  networks?: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
};
const services = compose.services;

/** host port -> container port, for "host:container" entries. */
function publishedPorts(service: Service): Map<number, number> {
  return new Map(
    (service.ports ?? []).map((p) => {
      const m = /^(?:[\d.]+:)?(\d+):(\d+)$/.exec(String(p));
      if (!m) throw new Error(`unexpected ports entry ${p}`);
      return [Number(m[1]), Number(m[2])];
    }),
  );
}

/** ENV of the Dockerfile's last stage: what the customer container starts with before compose's environment. */
function dockerfileEnv(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lastStage = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const m of lastStage.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)[=\s]"?([^"\n]*)"?$/gm)) env[m[1]] = m[2].trim();
  return env;
}

/** Every variable the service reads: those loadConfig asks for (given `env`), and any process.env.X in src/. */
function variablesReadByService(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  loadConfig(recording);
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(ROOT, 'src'))) {
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) read.add(m[1] ?? m[2]);
  }
  return read;
}

describe('docker-compose.yml', () => {
  it('has postgres, redis, the customer subgraph, the demo orders subgraph and a router, on the documented ports', () => {
    expect(Object.keys(services).sort()).toEqual(['customer', 'orders', 'postgres', 'redis', 'router']);
    const ports = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, [...publishedPorts(s)]]));
    expect(ports).toEqual({
      postgres: [[5432, 5432]],
      redis: [[6379, 6379]],
      customer: [[8003, 8003]],
      orders: [[4002, 4002]],
      router: [[4000, 4000]],
    });
  });

  it('gives the customer service only variables it reads, and every one it needs to start', () => {
    const environment = services.customer.environment ?? {};
    const effective = { ...dockerfileEnv(), ...environment };
    const read = variablesReadByService(effective);
    expect(Object.keys(environment).filter((name) => !read.has(name))).toEqual([]);
    // Starts: loadConfig refuses a missing JWT secret (with a DSN or in production) and a
    // missing two-factor key in production, naming the variable.
    const config = loadConfig(effective);
    expect(config.production).toBe(effective.NODE_ENV === 'production');
    expect(config.jwtSecretIsDefault).toBe(false);
    // On the compose PostgreSQL and Redis, not on an embedded database inside the container.
    const pg = services.postgres.environment!;
    expect(config.databaseDsn).toBe(`postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
    expect(config.redisAddr).toBe('redis:6379');
    expect([...publishedPorts(services.customer).values()]).toEqual([config.httpPort]);
    expect(services.customer.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${config.httpPort}/health/ready`);
  });

  it('runs the demo orders subgraph from the same image, with only variables it reads', () => {
    const orders = services.orders;
    expect(orders.build).toEqual(services.customer.build);
    expect(orders.command).toEqual(['node', 'dist/gateway/orders-subgraph.js']);
    // The image builds gateway/ (tsconfig.build.json) from a copy of it (Dockerfile).
    expect(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^COPY gateway \.\/gateway$/m);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')).include).toContain('gateway');
    const environment = orders.environment ?? {};
    expect(Object.keys(environment).filter((name) => !(ORDERS_ENV as readonly string[]).includes(name))).toEqual([]);
    expect([...publishedPorts(orders).values()]).toEqual([Number(environment.ORDERS_HTTP_PORT)]);
  });

  it('runs a pinned Apollo Router on the committed supergraph, whose subgraph URLs are the compose services', () => {
    const router = services.router;
    expect(router.image).toMatch(/^ghcr\.io\/apollographql\/router:v\d+\.\d+\.\d+$/);
    expect(Object.keys(router.depends_on ?? {}).sort()).toEqual(['customer', 'orders']);
    const mounts = new Map((router.volumes ?? []).map((v) => v.split(':')).map(([from, to]) => [path.normalize(from), to]));
    const configPath = mounts.get('gateway/router.yaml');
    const supergraphPath = mounts.get('gateway/supergraph.graphql');
    expect(router.command).toEqual(expect.arrayContaining(['--config', configPath, '--supergraph', supergraphPath]));
    expect(router.command!.indexOf('--config') + 1).toBe(router.command!.indexOf(configPath!));
    expect(router.command!.indexOf('--supergraph') + 1).toBe(router.command!.indexOf(supergraphPath!));

    // The URLs the supergraph routes to are the service names and the ports they listen on.
    const customerPort = loadConfig({ ...dockerfileEnv(), ...services.customer.environment }).httpPort;
    const ordersPort = Number(services.orders.environment!.ORDERS_HTTP_PORT);
    expect(COMPOSE_URLS).toEqual({ customer: `http://customer:${customerPort}/graphql`, orders: `http://orders:${ordersPort}/graphql` });
    const doc = parseGraphql(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'));
    const graphs = doc.definitions.find((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'join__Graph');
    const urls = Object.fromEntries(
      ((graphs as unknown as { values: { directives: { arguments: { name: { value: string }; value: unknown }[] }[] }[] }).values ?? []).map((v) => {
        const args = Object.fromEntries(v.directives[0].arguments.map((a) => [a.name.value, JSON.parse(print(a.value as never))]));
        return [args.name, args.url];
      }),
    );
    expect(urls).toEqual(COMPOSE_URLS);
  });

  it('configures the router to listen on its published port and pass the JWT to every subgraph', () => {
    const routerYaml = YAML.parse(fs.readFileSync(path.join(ROOT, 'gateway/router.yaml'), 'utf8'));
    const [containerPort] = [...publishedPorts(services.router).values()];
    expect(routerYaml.supergraph.listen).toBe(`0.0.0.0:${containerPort}`);
    expect(routerYaml.headers.all.request).toContainEqual({ propagate: { named: 'authorization' } });
    expect(routerYaml.include_subgraph_errors).toEqual({ all: true });
  });

  it('trusts the router, and only the router, to forward the client address (clients must not share one per-IP allowance)', () => {
    const routerAddress = services.router.networks?.default?.ipv4_address;
    expect(routerAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const [subnet] = compose.networks?.default?.ipam?.config ?? [];
    expect(compileTrust(subnet.subnet)(routerAddress!, 0)).toBe(true);
    const config = loadConfig({ ...dockerfileEnv(), ...services.customer.environment });
    const trust = compileTrust(config.trustedProxies);
    expect(trust(routerAddress!, 0)).toBe(true);
    // Any other container of the network (its next address, the subnet's first) is not a trusted hop.
    const next = routerAddress!.replace(/\d+$/, (n) => String(Number(n) + 1));
    for (const other of [next, subnet.subnet.replace(/0\/\d+$/, '2'), '127.0.0.1'])
      expect({ other, trusted: trust(other, 0) }).toEqual({ other, trusted: false });
    // The router passes the client address on.
    const routerYaml = YAML.parse(fs.readFileSync(path.join(ROOT, 'gateway/router.yaml'), 'utf8'));
    expect(routerYaml.headers.all.request).toContainEqual({ propagate: { named: 'x-forwarded-for' } });
  });

  it('routes subscriptions to the customer subgraph: graphql-ws passthrough on its path, callbacks only to a URL the subgraph accepts', () => {
    const routerYaml = YAML.parse(fs.readFileSync(path.join(ROOT, 'gateway/router.yaml'), 'utf8'));
    const subscription = routerYaml.subscription;
    expect(subscription.enabled).toBe(true);
    // Passthrough: the router opens graphql-ws (graphql_ws is graphql-ws's subprotocol) on the path the subgraph serves it.
    expect(subscription.mode.passthrough.subgraphs.customer).toEqual({ path: new URL(COMPOSE_URLS.customer).pathname, protocol: 'graphql_ws' });
    // Its connection_init carries the propagated Authorization header (as `token`, which the
    // subgraph reads: gateway-subscriptions.test.ts), so the header must be propagated.
    expect(routerYaml.headers.all.request).toContainEqual({ propagate: { named: 'authorization' } });

    // Callback mode: the public URL is the router's service and port, on the path it listens on...
    const callback = subscription.mode.callback;
    const publicUrl = new URL(callback.public_url);
    const [containerPort] = [...publishedPorts(services.router).values()];
    expect({ host: publicUrl.hostname, port: Number(publicUrl.port), path: publicUrl.pathname }).toEqual({
      host: 'router',
      port: containerPort,
      path: callback.path,
    });
    expect(callback.listen).toBe(`0.0.0.0:${containerPort}`);
    // ...and the customer subgraph posts to it (the router appends the subscription id), and to nothing else.
    const config = loadConfig({ ...dockerfileEnv(), ...services.customer.environment });
    expect(config.subscriptionCallbackUrls.map(String)).toEqual([callback.public_url]);
    expect(callbackRefusal({ callbackUrl: `${callback.public_url}/c0ffee`, heartbeatIntervalMs: 5000 }, config.subscriptionCallbackUrls)).toBeNull();
    expect(callbackRefusal({ callbackUrl: 'http://elsewhere:4000/callback/c0ffee' }, config.subscriptionCallbackUrls)?.code).toBe('FORBIDDEN');
    // One mode per subgraph: passthrough wins for a subgraph listed in both.
    expect(callback.subgraphs ?? []).not.toContain('customer');
  });

  it('has every published port explained in the README', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const [name, service] of Object.entries(services)) {
      for (const host of publishedPorts(service).keys()) {
        expect({ service: name, row: new RegExp(`^\\| \`${host}\` \\|`, 'm').test(readme) }).toEqual({ service: name, row: true });
      }
    }
  });
});
