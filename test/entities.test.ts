import { createCustomer, postGraphql, startReplica, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Customer { id email }
  ... on CustomerGroup { id code }
} }`;

describe('_entities authorization', () => {
  it('applies the same policy as customer(id): owner yes, others FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    const reps = [a, b].map((c) => ({ __typename: 'Customer', id: c.id }));

    const asA = await server.gql(ENTITIES, { reps }, tokens.customer(a.id));
    expect(asA.data!._entities[0]).toEqual({ id: a.id, email: a.email });
    expect(asA.data!._entities[1]).toBeNull();
    expect(asA.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 1], 'FORBIDDEN']]);

    const anonymous = await server.gql(ENTITIES, { reps });
    expect(anonymous.data!._entities).toEqual([null, null]);
    expect(anonymous.errors?.every((e) => e.extensions?.code === 'UNAUTHENTICATED')).toBe(true);
    expect(JSON.stringify(anonymous)).not.toContain('@example.com');

    const asAdmin = await server.gql(ENTITIES, { reps }, tokens.admin());
    expect(asAdmin.data!._entities.map((c: { id: string }) => c.id)).toEqual([a.id, b.id]);
  });

  it('resolves CustomerGroup references for signed-in callers', async () => {
    const c = await createCustomer(server);
    const groups = await server.gql('{ customerGroups { id code } }', {}, tokens.admin());
    const reps = groups.data!.customerGroups.map((g: { id: string }) => ({ __typename: 'CustomerGroup', id: g.id }));
    const res = await server.gql(ENTITIES, { reps }, tokens.customer(c.id));
    expect(res.data!._entities.map((g: { code: string }) => g.code)).toEqual(['B2B', 'B2C']);
    const anonymous = await server.gql(ENTITIES, { reps });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers null for a CustomerSegment that does not exist', async () => {
    const res = await server.gql(
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on CustomerSegment { id name } } }',
      { reps: [{ __typename: 'CustomerSegment', id: '00000000-0000-4000-8000-000000000000' }] },
      tokens.admin(),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([null]);
  });
});

describe('compiled (graphql-jit) and interpreted (graphql-js) execution', () => {
  /** A second instance on the same database, interpreting operations with graphql-js. */
  let interpreted: Awaited<ReturnType<typeof startReplica>>;
  beforeAll(async () => {
    interpreted = await startReplica(server, { CUSTOMER_JIT_ENABLED: 'false' });
  });
  afterAll(() => interpreted.close());

  it('answer the same data and errors, in representation order, when refused representations fail before the others', async () => {
    const own = await createCustomer(server);
    const others = [await createCustomer(server), await createCustomer(server)];
    // Refusals settle at once, the owner's look-up later: first and last positions refused.
    const reps = [others[0], own, others[1]].map((c) => ({ __typename: 'Customer', id: c.id }));
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id email addresses { city } } } }`;
    const compiled = await server.gql(query, { reps }, tokens.customer(own.id));
    const plain = await postGraphql(interpreted.url, query, { reps }, tokens.customer(own.id));
    expect(compiled.data!._entities).toEqual([null, { id: own.id, email: own.email, addresses: [] }, null]);
    expect(compiled.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'FORBIDDEN'],
      [['_entities', 2], 'FORBIDDEN'],
    ]);
    expect(plain).toEqual(compiled);
  });

  it('answer a list of several entity types in representation order, refusals of both kinds included', async () => {
    const own = await createCustomer(server);
    const other = await createCustomer(server);
    const groups = await server.gql('{ customerGroups { id code } }', {}, tokens.admin());
    const group = groups.data!.customerGroups[0] as { id: string; code: string };
    // A segment is ADMIN's: refused (a rejected promise) before the customers' look-up ends.
    const reps = [
      { __typename: 'CustomerSegment', id: '00000000-0000-4000-8000-000000000000' },
      { __typename: 'Customer', id: own.id },
      { __typename: 'CustomerGroup', id: group.id },
      { __typename: 'Customer', id: other.id },
      { __typename: 'Customer', id: 'not-a-uuid' },
    ];
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      __typename ... on Customer { id email } ... on CustomerGroup { code } ... on CustomerSegment { name } } }`;
    const compiled = await server.gql(query, { reps }, tokens.customer(own.id));
    const plain = await postGraphql(interpreted.url, query, { reps }, tokens.customer(own.id));
    expect(compiled.data!._entities).toEqual([
      null,
      { __typename: 'Customer', id: own.id, email: own.email },
      { __typename: 'CustomerGroup', code: group.code },
      null,
      null,
    ]);
    // The order of errors means nothing (the spec leaves it open): by position.
    const byPath = <E extends { path?: readonly (string | number)[] }>(errors: E[] = []) => [...errors].sort((x, y) => Number(x.path![1]) - Number(y.path![1]));
    expect(byPath(compiled.errors).map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'FORBIDDEN'],
      [['_entities', 3], 'FORBIDDEN'],
    ]);
    expect({ ...plain, errors: byPath(plain.errors) }).toEqual({ ...compiled, errors: byPath(compiled.errors) });
  });
  it('read the variables inside a literal given to a custom scalar, and keep a __proto__ key as data, as graphql-js does', async () => {
    const own = await createCustomer(server);
    const other = await createCustomer(server);
    const inline = `query($id: ID) { _entities(representations: [{ __typename: "Customer", id: $id }]) { ... on Customer { id email } } }`;
    for (const url of [server.url, interpreted.url]) {
      expect((await postGraphql(url, inline, { id: own.id }, tokens.admin())).data!._entities).toEqual([{ id: own.id, email: own.email }]);
    }
    // The id under __proto__ is no id of the representation: not found, not the other's FORBIDDEN.
    const proto = `{ _entities(representations: [{ __typename: "Customer", __proto__: { id: "${other.id}" } }]) { ... on Customer { id } } }`;
    for (const url of [server.url, interpreted.url]) {
      expect(await postGraphql(url, proto, {}, tokens.customer(own.id))).toMatchObject({ status: 200, data: { _entities: [null] } });
      expect((await postGraphql(url, proto, {}, tokens.customer(own.id))).errors).toBeUndefined();
    }
    const update = `mutation($id: ID!, $v: String) { updateCustomer(id: $id, input: { metadata: { note: $v } }) { metadata } }`;
    for (const [url, v] of [
      [server.url, 'compiled'],
      [interpreted.url, 'interpreted'],
    ]) {
      expect((await postGraphql(url, update, { id: own.id, v }, tokens.admin())).data!.updateCustomer.metadata).toEqual({ note: v });
    }
  });
});
