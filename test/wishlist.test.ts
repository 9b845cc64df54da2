import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const ADD = 'mutation($c: ID!, $p: ID!) { addToWishlist(customerId: $c, productId: $p) { id addedAt product { id } } }';
const REMOVE = 'mutation($c: ID!, $p: ID!) { removeFromWishlist(customerId: $c, productId: $p) }';
const LIST = 'query($id: ID!) { customer(id: $id) { wishlist { id product { id } addedAt } } }';

describe('wishlist', () => {
  it('adds idempotently, lists newest first, and removes', async () => {
    const c = await createCustomer(server);
    const me = tokens.customer(c.id);
    const first = await server.gql(ADD, { c: c.id, p: 'sku-1' }, me);
    expect(first.data!.addToWishlist.product).toEqual({ id: 'sku-1' });
    const again = await server.gql(ADD, { c: c.id, p: ' sku-1 ' }, me);
    expect(again.data!.addToWishlist.id).toBe(first.data!.addToWishlist.id);
    await server.gql(ADD, { c: c.id, p: 'sku-2' }, me);
    const list = await server.gql(LIST, { id: c.id }, me);
    expect(list.data!.customer.wishlist.map((w: { product: { id: string } }) => w.product.id)).toEqual(['sku-2', 'sku-1']);
    expect((await server.gql(REMOVE, { c: c.id, p: 'sku-1' }, me)).data).toEqual({ removeFromWishlist: true });
    expect((await server.gql(REMOVE, { c: c.id, p: 'sku-1' }, me)).data).toEqual({ removeFromWishlist: false });
    expect((await server.gql(LIST, { id: c.id }, me)).data!.customer.wishlist).toHaveLength(1);
  });

  it('keeps one item when the same product is added concurrently', async () => {
    const c = await createCustomer(server);
    const results = await Promise.all(Array.from({ length: 10 }, () => server.gql(ADD, { c: c.id, p: 'sku-race' }, tokens.customer(c.id))));
    expect(new Set(results.map((r) => r.data!.addToWishlist.id)).size).toBe(1);
  });

  it('is for the owner or ADMIN, validates product ids, and knows unknown customers', async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    expect((await server.gql(ADD, { c: b.id, p: 'x' }, tokens.customer(a.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(ADD, { c: b.id, p: 'x' }, tokens.admin())).errors).toBeUndefined();
    expect((await server.gql(LIST, { id: b.id }, tokens.service())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(ADD, { c: a.id, p: '  ' }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await server.gql(ADD, { c: a.id, p: 'x'.repeat(101) }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await server.gql(ADD, { c: '00000000-0000-4000-8000-000000000000', p: 'x' }, tokens.admin());
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('loads wishlists of a whole page in one statement', async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const c = await createCustomer(server, { email: `wish${i}@wishlist.test` });
      await server.gql(ADD, { c: c.id, p: `p-${i}` }, tokens.admin());
      ids.push(c.id);
    }
    const q = 'query($f: Int) { customers(first: $f, filter: { search: "wish" }) { nodes { id wishlist { product { id } } } } }';
    const twelve = await server.countStatements(() => server.gql(q, { f: 12 }, tokens.admin()));
    const two = await server.countStatements(() => server.gql(q, { f: 2 }, tokens.admin()));
    expect(twelve).toBe(two);
  });
});
