import Redis from 'ioredis';
import pg from 'pg';
import { MEMBERS_LOCK, REFRESH_LOCK } from '../src/modules/segment/segment.service';
import { createCustomer, errorCode, redisEnv, REDIS_ADDR, startTestServer, TestServer, tokens, uniqueEmail } from './helpers/server';
import { readStream } from './helpers/stream';
import { subscribe, wsClient } from './helpers/ws';

// Segments over HTTP against the real PostgreSQL: rule checks, set-based refresh, incremental
// re-scoring in the changing transaction, reads, the schedule. The property test comparing
// both paths with an independent evaluator is in segments-property.test.ts.

const env = redisEnv();
const STREAM = `${env.CUSTOMER_EVENTS_NAMESPACE}customer.events`;
let server: TestServer;
let redis: Redis;
beforeAll(async () => {
  server = await startTestServer(env);
  redis = new Redis(REDIS_ADDR);
});
afterAll(async () => {
  await server.close();
  await redis.del(STREAM);
  redis.disconnect();
});

/** The membership events of a segment on the stream, once the relay has published everything. */
async function membershipEvents(segmentId: string) {
  await server.app.relay.idle();
  const entries = await readStream(redis, STREAM);
  return entries.filter((e) => e.type === 'segment.membership_changed' && e.event.data.segmentId === segmentId);
}

const admin = tokens.admin();
const CREATE =
  'mutation($input: SegmentInput!) { createSegment(input: $input) { id name isActive minScore rules { field operator value weight } memberCount } }';
const UPDATE = 'mutation($id: ID!, $input: SegmentInput!) { updateSegment(id: $id, input: $input) { id rules { field value } } }';
const REFRESH = 'mutation($id: ID!) { refreshSegment(id: $id) { added removed memberCount segment { id memberCount } } }';
const SEGMENTS_OF = 'query($id: ID!) { customer(id: $id) { segments { id name } } }';

async function createSegment(input: Record<string, unknown>): Promise<string> {
  const res = await server.gql(CREATE, { input: { name: `seg-${Math.random().toString(36).slice(2, 9)}`, ...input } }, admin);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.createSegment.id;
}

async function segmentIdsOf(customerId: string): Promise<string[]> {
  const res = await server.gql(SEGMENTS_OF, { id: customerId }, admin);
  return res.data!.customer.segments.map((s: { id: string }) => s.id);
}

async function addAddress(customerId: string, countryCode: string, postalCode: string, isDefault = true): Promise<string> {
  const res = await server.gql(
    `mutation($id: ID!, $input: AddressInput!) { createAddress(customerId: $id, input: $input) { id } }`,
    { id: customerId, input: { type: 'SHIPPING', firstName: 'A', lastName: 'B', addressLine1: '1 Main St', city: 'Town', postalCode, countryCode, isDefault } },
    admin,
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.createAddress.id;
}

describe('rules are checked against their field', () => {
  it.each([
    [{ field: 'EMAIL_DOMAIN', operator: 'GT', value: 'a.com' }, 'input.rules[0].operator'],
    [{ field: 'TOTAL_ORDERS', operator: 'GTE', value: 'five' }, 'input.rules[0].value'],
    [{ field: 'TOTAL_ORDERS', operator: 'GTE', value: 2.5 }, 'input.rules[0].value'],
    [{ field: 'TOTAL_SPENT', operator: 'GT', value: '12.345' }, 'input.rules[0].value'],
    [{ field: 'COUNTRY_CODE', operator: 'EQ', value: 'XX' }, 'input.rules[0].value'],
    [{ field: 'STATUS', operator: 'EQ', value: 'SLEEPING' }, 'input.rules[0].value'],
    [{ field: 'EMAIL_VERIFIED', operator: 'EQ', value: 'yes' }, 'input.rules[0].value'],
    [{ field: 'EMAIL_VERIFIED', operator: 'GT', value: true }, 'input.rules[0].operator'],
    [{ field: 'AGE', operator: 'IN', value: 30 }, 'input.rules[0].value'],
    [{ field: 'AGE', operator: 'IN', value: [] }, 'input.rules[0].value'],
    [{ field: 'GROUP_CODE', operator: 'CONTAINS', value: 'B2' }, 'input.rules[0].operator'],
    [{ field: 'AGE', operator: 'GT', value: 30, weight: 5000 }, 'input.rules[0].weight'],
  ])('refuses %j (BAD_USER_INPUT on %s)', async (rule, field) => {
    const res = await server.gql(CREATE, { input: { name: uniqueEmail('bad'), rules: [rule] } }, admin);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions!.fieldErrors![0].field).toBe(field);
  });

  it('refuses an empty rule list, a minScore below 1 and a duplicate name; answers normalised rules', async () => {
    expect(errorCode(await server.gql(CREATE, { input: { name: 'empty', rules: [] } }, admin))).toBe('BAD_USER_INPUT');
    const rule = { field: 'AGE', operator: 'GTE', value: 18 };
    expect(errorCode(await server.gql(CREATE, { input: { name: 'zero', rules: [rule], minScore: 0 } }, admin))).toBe('BAD_USER_INPUT');
    const ok = await server.gql(
      CREATE,
      { input: { name: 'Adults in Europe', rules: [rule, { field: 'COUNTRY_CODE', operator: 'IN', value: ['de', 'fr'], weight: 2 }] } },
      admin,
    );
    expect(ok.data!.createSegment).toMatchObject({
      isActive: true,
      minScore: 1,
      memberCount: 0,
      rules: [
        { field: 'AGE', operator: 'GTE', value: 18, weight: 1 },
        { field: 'COUNTRY_CODE', operator: 'IN', value: ['DE', 'FR'], weight: 2 },
      ],
    });
    expect(errorCode(await server.gql(CREATE, { input: { name: 'adults IN europe', rules: [rule] } }, admin))).toBe('BAD_USER_INPUT');
    const long = await server.gql(CREATE, { input: { name: 'long', description: 'x'.repeat(501), rules: [rule] } }, admin);
    expect(errorCode(long)).toBe('BAD_USER_INPUT');
    expect(long.errors![0].extensions!.fieldErrors).toEqual([expect.objectContaining({ field: expect.stringMatching(/description$/) })]);
  });

  it('is ADMIN only', async () => {
    const c = await createCustomer(server);
    for (const token of [tokens.service(), tokens.customer(c.id)]) {
      expect(errorCode(await server.gql('{ customerSegments { id } }', {}, token))).toBe('FORBIDDEN');
      // Not through the customer either: a segment leads to its rules and its other members.
      expect(errorCode(await server.gql(SEGMENTS_OF, { id: c.id }, token))).toBe('FORBIDDEN');
      expect(errorCode(await server.gql(CREATE, { input: { name: 'x', rules: [{ field: 'AGE', operator: 'GT', value: 1 }] } }, token))).toBe('FORBIDDEN');
    }
  });
});

describe('refresh', () => {
  it('moves customers in and out, with one membership event per change, never counting deleted customers', async () => {
    const domain = `${Math.random().toString(36).slice(2, 8)}.test`;
    const vip = await Promise.all([1, 2, 3].map(() => createCustomer(server, { email: `${uniqueEmail('v').split('@')[0]}@${domain}` })));
    const others = await Promise.all([1, 2].map(() => createCustomer(server)));
    const erased = await createCustomer(server, { email: `gone.${Date.now()}@${domain}` });
    await server.db.query("UPDATE customers SET deleted_at = now(), status = 'DELETED' WHERE id = $1", [erased.id]);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: domain }] });

    const first = await server.gql(REFRESH, { id }, admin);
    expect(first.data!.refreshSegment).toEqual({ added: 3, removed: 0, memberCount: 3, segment: { id, memberCount: 3 } });
    for (const c of vip) expect(await segmentIdsOf(c.id)).toContain(id);
    for (const c of others) expect(await segmentIdsOf(c.id)).not.toContain(id);
    const events = await membershipEvents(id);
    expect(events.map((e) => e.subject).sort()).toEqual(vip.map((c) => c.id).sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    for (const e of events) {
      expect(e.event).toMatchObject({
        specversion: '1.0',
        id: e.id,
        type: 'segment.membership_changed',
        subject: e.subject,
        data: { segmentId: id, customerId: e.subject, joined: true },
      });
    }

    // Again: nothing moves.
    expect((await server.gql(REFRESH, { id }, admin)).data!.refreshSegment).toMatchObject({ added: 0, removed: 0, memberCount: 3 });

    // New rules: two of the three leave, one other joins.
    await server.gql(
      UPDATE,
      {
        id,
        input: {
          name: `moved-${id}`,
          rules: [
            { field: 'EMAIL_DOMAIN', operator: 'EQ', value: domain },
            { field: 'AGE', operator: 'GTE', value: 30, weight: 2 },
          ],
          minScore: 2,
        },
      },
      admin,
    );
    await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { dateOfBirth: "1980-01-01" }) { id } }', { id: vip[0].id }, admin);
    await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { dateOfBirth: "1970-01-01" }) { id } }', { id: others[0].id }, admin);
    const second = await server.gql(REFRESH, { id }, admin);
    expect(second.data!.refreshSegment).toMatchObject({ memberCount: 2 });
    const members = await server.gql(`query($id: ID!) { customerSegment(id: $id) { members(first: 10) { nodes { id } } } }`, { id }, admin);
    expect(members.data!.customerSegment.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual([vip[0].id, others[0].id].sort());
  });

  it('costs the same number of statements for 5 and for 60 customers, and never counts over all customers', async () => {
    const statements: string[] = [];
    const measure = async (id: string) => {
      const off = server.db.onStatement((sql: string) => statements.push(sql));
      try {
        // The relay's publishing of the events is counted too (the same rounds for 5 or 60 events).
        return await server.countStatements(async () => {
          await server.gql(REFRESH, { id }, admin);
          await server.app.relay.idle();
        });
      } finally {
        off();
      }
    };
    const tag = Math.random().toString(36).slice(2, 8);
    const small = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'CONTAINS', value: `${tag}a` }] });
    const large = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'CONTAINS', value: `${tag}b` }] });
    await Promise.all(Array.from({ length: 5 }, (_, i) => createCustomer(server, { email: `s${i}@${tag}a.test` })));
    await Promise.all(Array.from({ length: 60 }, (_, i) => createCustomer(server, { email: `l${i}@${tag}b.test` })));
    const a = await measure(small);
    const b = await measure(large);
    expect(b).toBe(a);
    for (const sql of statements) expect(sql).not.toMatch(/count\(\*\)[^;]*FROM customers(?![_\w])(?![^;]*WHERE)/i);
  });

  it('deleting a segment drops its memberships with a leave event each', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const members = await Promise.all([1, 2].map((i) => createCustomer(server, { email: `d${i}@${tag}.test` })));
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    await server.gql(REFRESH, { id }, admin);
    expect((await server.gql('mutation($id: ID!) { deleteSegment(id: $id) }', { id }, admin)).data).toEqual({ deleteSegment: true });
    const [{ n }] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_segment_members WHERE segment_id = $1', [id]);
    expect(n).toBe(0);
    const left = (await membershipEvents(id)).filter((e) => e.event.data.joined === false);
    expect(left.map((e) => e.subject).sort()).toEqual(members.map((m) => m.id).sort());
  });

  it('an inactive segment answers no members and a member count of 0, alike (its memberships are no longer kept current)', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const c = await createCustomer(server, { email: `x@${tag}.test` });
    const input = { name: `domain-${tag}`, rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] };
    const id = await createSegment(input);
    expect((await server.gql(REFRESH, { id }, admin)).data!.refreshSegment.memberCount).toBe(1);
    const READ = 'query($id: ID!) { customerSegment(id: $id) { memberCount members { totalCount nodes { id } } } }';
    expect((await server.gql(READ, { id }, admin)).data!.customerSegment).toEqual({ memberCount: 1, members: { totalCount: 1, nodes: [{ id: c.id }] } });
    expect((await server.gql(UPDATE, { id, input: { ...input, isActive: false } }, admin)).errors).toBeUndefined();
    expect((await server.gql(READ, { id }, admin)).data!.customerSegment).toEqual({ memberCount: 0, members: { totalCount: 0, nodes: [] } });
  });

  it('refuses an inactive segment and unknown ids', async () => {
    const id = await createSegment({ isActive: false, rules: [{ field: 'AGE', operator: 'GT', value: 1 }] });
    expect(errorCode(await server.gql(REFRESH, { id }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.gql(REFRESH, { id: '00000000-0000-4000-8000-000000000000' }, admin))).toBe('NOT_FOUND');
  });
});

describe('incremental evaluation', () => {
  it('re-scores a customer in the transaction that changes them (profile, address, preferences, status)', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const byDomain = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    const german = await createSegment({
      rules: [
        { field: 'COUNTRY_CODE', operator: 'EQ', value: 'DE' },
        { field: 'EMAIL_MARKETING', operator: 'EQ', value: true },
      ],
      minScore: 2,
    });
    const active = await createSegment({
      rules: [
        { field: 'STATUS', operator: 'EQ', value: 'ACTIVE' },
        { field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` },
      ],
      minScore: 2,
    });
    const c = await createCustomer(server);
    expect(await segmentIdsOf(c.id)).not.toContain(byDomain);

    await server.gql(
      'mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }',
      { id: c.id, e: `x.${c.id.slice(0, 6)}@${tag}.test` },
      admin,
    );
    expect(await segmentIdsOf(c.id)).toEqual(expect.arrayContaining([byDomain, active]));

    await addAddress(c.id, 'DE', '10115');
    expect(await segmentIdsOf(c.id)).not.toContain(german);
    await server.gql('mutation($id: ID!) { updatePreferences(customerId: $id, input: { emailMarketing: true }) { emailMarketing } }', { id: c.id }, admin);
    expect(await segmentIdsOf(c.id)).toContain(german);
    const fr = await addAddress(c.id, 'FR', '75001', false);
    await server.gql('mutation($c: ID!, $a: ID!) { setDefaultAddress(customerId: $c, addressId: $a) { id } }', { c: c.id, a: fr }, admin);
    expect(await segmentIdsOf(c.id)).not.toContain(german);

    await server.gql('mutation($id: ID!) { setCustomerStatus(id: $id, status: SUSPENDED) { id } }', { id: c.id }, admin);
    expect(await segmentIdsOf(c.id)).not.toContain(active);

    const events = await server.db.query<{ data: { segmentId: string; joined: boolean } }>(
      "SELECT payload->'data' AS data FROM outbox_events WHERE type = 'segment.membership_changed' AND customer_id = $1 ORDER BY seq",
      [c.id],
    );
    const bySegment = (segmentId: string) => events.filter((e) => e.data.segmentId === segmentId).map((e) => e.data.joined);
    expect(bySegment(byDomain)).toEqual([true]);
    expect(bySegment(german)).toEqual([true, false]);
    expect(bySegment(active)).toEqual([true, false]);
  });

  it('leaves no membership, and no join event, for a segment deleted while a re-score waited for it', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const c = await createCustomer(server);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    const other = new pg.Client({ connectionString: server.dsn });
    await other.connect();
    try {
      // deleteSegment under way: the row deleted and the segment's memberships held, not yet committed.
      await other.query('BEGIN');
      await other.query('DELETE FROM customer_segments WHERE id = $1', [id]);
      await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [MEMBERS_LOCK, id]);
      const moving = server.gql(
        'mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }',
        { id: c.id, e: `x.${c.id.slice(0, 6)}@${tag}.test` },
        admin,
      );
      await new Promise((r) => setTimeout(r, 300));
      await other.query('COMMIT');
      expect((await moving).errors).toBeUndefined();
    } finally {
      await other.end();
    }
    const [left] = await server.db.query<{ members: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM customer_segment_members WHERE segment_id = $1) AS members,
              (SELECT count(*)::int FROM outbox_events WHERE type = 'segment.membership_changed' AND payload->'data'->>'segmentId' = $1::text) AS events`,
      [id],
    );
    expect(left).toEqual({ members: 0, events: 0 });
  });

  it('evaluateCustomerSegments repairs memberships on demand and answers them', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    const c = await createCustomer(server);
    // Changed behind the service's back: only an evaluation can notice.
    await server.db.query('UPDATE customers SET email = $2 WHERE id = $1', [c.id, `z@${tag}.test`]);
    expect(await segmentIdsOf(c.id)).not.toContain(id);
    const res = await server.gql('mutation($id: ID!) { evaluateCustomerSegments(customerId: $id) { id } }', { id: c.id }, admin);
    expect(res.data!.evaluateCustomerSegments.map((s: { id: string }) => s.id)).toContain(id);
    expect(await segmentIdsOf(c.id)).toContain(id);
  });

  it('filters customers by segment and reads segments of a page with constant statements', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    await Promise.all(Array.from({ length: 30 }, (_, i) => createCustomer(server, { email: `m${i}@${tag}.test` })));
    const list = await server.gql('query($s: ID!) { customers(first: 100, filter: { segmentId: $s }) { totalCount nodes { id } } }', { s: id }, admin);
    expect(list.data!.customers.totalCount).toBe(30);
    const page = (n: number) => server.countStatements(() => server.gql(`{ customers(first: ${n}) { nodes { id segments { id name } } } }`, {}, admin));
    expect(await page(100)).toBe(await page(10));
  });
});

describe('live membership feed and federation', () => {
  it('segmentMembershipChanged streams committed joins and leaves of one segment to an ADMIN', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    const other = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'CONTAINS', value: tag }] });
    const c = await createCustomer(server);
    await server.app.relay.idle();
    const client = wsClient(server.url, admin);
    const sub = await subscribe(client, 'subscription($s: ID) { segmentMembershipChanged(segmentId: $s) { segmentId customerId joined occurredAt } }', {
      s: id,
    });
    const refused = await subscribe(wsClient(server.url, tokens.customer(c.id)), 'subscription { segmentMembershipChanged { segmentId } }');
    try {
      await server.gql('mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }', { id: c.id, e: `in@${tag}.test` }, admin);
      await server.gql('mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }', { id: c.id, e: `out@x${tag}.test` }, admin);
      const events = await sub.waitFor(2);
      expect(events.map((e) => e.segmentMembershipChanged)).toEqual([
        { segmentId: id, customerId: c.id, joined: true, occurredAt: expect.any(String) },
        { segmentId: id, customerId: c.id, joined: false, occurredAt: expect.any(String) },
      ]);
      expect(await segmentIdsOf(c.id)).toEqual([other]);
      for (let i = 0; i < 100 && !refused.errors.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.stringify(refused.errors)).toContain('FORBIDDEN');
    } finally {
      sub.close();
      refused.close();
      await client.dispose();
    }
  });

  it('_entities resolves CustomerSegment for ADMIN only', async () => {
    const id = await createSegment({ rules: [{ field: 'AGE', operator: 'GT', value: 1 }] });
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on CustomerSegment { id name memberCount } } }';
    const r = [
      { __typename: 'CustomerSegment', id },
      { __typename: 'CustomerSegment', id: '00000000-0000-4000-8000-000000000000' },
    ];
    const ok = await server.gql(query, { r }, admin);
    expect(ok.data!._entities).toEqual([{ id, name: expect.any(String), memberCount: 0 }, null]);
    const denied = await server.gql(query, { r }, tokens.service());
    expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});

describe('schedule and switches', () => {
  it('refreshes every active segment, one replica at a time (an advisory lock)', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const c = await createCustomer(server);
    await server.db.query('UPDATE customers SET email = $2 WHERE id = $1', [c.id, `s@${tag}.test`]);
    const id = await createSegment({ rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] });
    const holder = new pg.Client({ connectionString: server.dsn });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [REFRESH_LOCK]);
      expect(await server.app.segmentSchedule.runOnce()).toBe(false);
      expect(await segmentIdsOf(c.id)).not.toContain(id);
      await holder.query('SELECT pg_advisory_unlock($1)', [REFRESH_LOCK]);
      expect(await server.app.segmentSchedule.runOnce()).toBe(true);
      expect(await segmentIdsOf(c.id)).toContain(id);
    } finally {
      await holder.end();
    }
  });

  it('CUSTOMER_ENABLE_SEGMENTS=false: changes no longer re-score customers', async () => {
    const off = await startTestServer({ CUSTOMER_ENABLE_SEGMENTS: 'false' });
    try {
      const tag = Math.random().toString(36).slice(2, 8);
      const seg = await off.gql(CREATE, { input: { name: 'd', rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: `${tag}.test` }] } }, admin);
      const c = await createCustomer(off, { email: `a@${tag}.test` });
      const res = await off.gql(SEGMENTS_OF, { id: c.id }, admin);
      expect(res.data!.customer.segments).toEqual([]);
      const refreshed = await off.gql(REFRESH, { id: seg.data!.createSegment.id }, admin);
      expect(refreshed.data!.refreshSegment.added).toBe(1);
    } finally {
      await off.close();
    }
  });
});
