import { startTestServer, TestServer, tokens } from './helpers/server';

// Property test: random customers, random segments. The set-based refresh, the one-customer
// evaluation and an evaluator written here in TypeScript (from the rules' documented meaning,
// not from the SQL) must all agree, for every customer and every segment. The seed is printed
// on failure so a run can be replayed (SEGMENT_PROPERTY_SEED=...).

const SEED = Number(process.env.SEGMENT_PROPERTY_SEED ?? Date.now() % 1_000_000);
const CUSTOMERS = 60;
const SEGMENTS = 25;

/** mulberry32: a small seeded PRNG, so a failing run can be repeated. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}

const DOMAINS = ['a.test', 'b.test', 'shop.example', 'mail.example'];
const COUNTRIES = ['DE', 'FR', 'US'];
const STATUSES = ['ACTIVE', 'PENDING', 'SUSPENDED'];
const TYPES = ['INDIVIDUAL', 'BUSINESS'];
const GROUPS = ['B2C', 'B2B'];

interface Seeded {
  id: string;
  email: string;
  customerType: string;
  status: string;
  groupCode: string;
  emailVerified: boolean;
  emailMarketing: boolean;
  dob: string | null;
  registeredDaysAgo: number;
  country: string | null;
  stats: { orders: number; spentCents: number; lastOrderDaysAgo: number | null } | null;
}

type Rule = { field: string; operator: string; value: unknown; weight: number };

function todayUtc(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function age(dob: string, today: Date): number {
  const [y, m, d] = dob.split('-').map(Number);
  const beforeBirthday = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  return today.getUTCFullYear() - y - (beforeBirthday ? 1 : 0);
}

/** What each field means for a customer; null where it is unknown. Amounts in cents. */
function fieldValue(c: Seeded, field: string): number | string | boolean | null {
  const orders = c.stats?.orders ?? 0;
  const spent = c.stats?.spentCents ?? 0;
  switch (field) {
    case 'TOTAL_ORDERS':
      return orders;
    case 'TOTAL_SPENT':
      return spent;
    case 'AVERAGE_ORDER_VALUE':
      return orders ? Math.round(spent / orders) : 0;
    case 'DAYS_SINCE_LAST_ORDER':
      return c.stats?.lastOrderDaysAgo ?? null;
    case 'DAYS_SINCE_REGISTRATION':
      return c.registeredDaysAgo;
    case 'CUSTOMER_TYPE':
      return c.customerType;
    case 'STATUS':
      return c.status;
    case 'GROUP_CODE':
      return c.groupCode;
    case 'COUNTRY_CODE':
      return c.country;
    case 'EMAIL_DOMAIN':
      return c.email.split('@')[1];
    case 'EMAIL_VERIFIED':
      return c.emailVerified;
    case 'EMAIL_MARKETING':
      return c.emailMarketing;
    case 'AGE':
      return c.dob ? age(c.dob, todayUtc()) : null;
  }
  throw new Error(field);
}

const cents = (v: unknown) => Math.round(Number(v) * 100);
const DECIMAL_FIELDS = new Set(['TOTAL_SPENT', 'AVERAGE_ORDER_VALUE']);

function matches(c: Seeded, r: Rule): boolean {
  const x = fieldValue(c, r.field);
  const norm = (v: unknown) => (DECIMAL_FIELDS.has(r.field) ? cents(v) : v);
  const eq = x !== null && x === norm(r.value);
  const inList = x !== null && Array.isArray(r.value) && r.value.map(norm).includes(x);
  switch (r.operator) {
    case 'EQ':
      return eq;
    case 'NEQ':
      return !eq;
    case 'GT':
      return x !== null && (x as number) > (norm(r.value) as number);
    case 'GTE':
      return x !== null && (x as number) >= (norm(r.value) as number);
    case 'LT':
      return x !== null && (x as number) < (norm(r.value) as number);
    case 'LTE':
      return x !== null && (x as number) <= (norm(r.value) as number);
    case 'IN':
      return inList;
    case 'NOT_IN':
      return !inList;
    case 'CONTAINS':
      return x !== null && (x as string).includes(r.value as string);
  }
  throw new Error(r.operator);
}

function belongs(c: Seeded, rules: Rule[], minScore: number): boolean {
  return rules.reduce((sum, r) => sum + (matches(c, r) ? r.weight : 0), 0) >= minScore;
}

function randomRule(rnd: ReturnType<typeof prng>): Rule {
  const numeric = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'IN', 'NOT_IN'];
  const text = ['EQ', 'NEQ', 'IN', 'NOT_IN'];
  const list = <T>(gen: () => T) => Array.from({ length: rnd.int(1, 3) }, gen);
  const weight = rnd.pick([-2, -1, 1, 1, 2, 3]);
  const numberRule = (field: string, gen: () => number | string) => {
    const operator = rnd.pick(numeric);
    return { field, operator, value: operator.endsWith('IN') ? list(gen) : gen(), weight };
  };
  const textRule = (field: string, values: readonly string[], contains: string[] = []) => {
    const operator = rnd.pick(contains.length ? [...text, 'CONTAINS'] : text);
    if (operator === 'CONTAINS') return { field, operator, value: rnd.pick(contains), weight };
    return { field, operator, value: operator.endsWith('IN') ? list(() => rnd.pick(values)) : rnd.pick(values), weight };
  };
  const money = () => (rnd.int(0, 30000) / 100).toFixed(2);
  switch (rnd.int(0, 12)) {
    case 0:
      return numberRule('TOTAL_ORDERS', () => rnd.int(0, 8));
    case 1:
      return numberRule('TOTAL_SPENT', money);
    case 2:
      return numberRule('AVERAGE_ORDER_VALUE', money);
    case 3:
      return numberRule('DAYS_SINCE_LAST_ORDER', () => rnd.int(0, 300));
    case 4:
      return numberRule('DAYS_SINCE_REGISTRATION', () => rnd.int(0, 400));
    case 5:
      return numberRule('AGE', () => rnd.int(18, 75));
    case 6:
      return textRule('CUSTOMER_TYPE', TYPES);
    case 7:
      return textRule('STATUS', STATUSES);
    case 8:
      return textRule('GROUP_CODE', GROUPS);
    case 9:
      return textRule('COUNTRY_CODE', COUNTRIES);
    case 10:
      return textRule('EMAIL_DOMAIN', DOMAINS, ['test', 'example', 'a.', 'shop']);
    case 11:
      return { field: 'EMAIL_VERIFIED', operator: rnd.pick(['EQ', 'NEQ']), value: rnd.chance(0.5), weight };
    default:
      return { field: 'EMAIL_MARKETING', operator: rnd.pick(['EQ', 'NEQ']), value: rnd.chance(0.5), weight };
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function seedCustomers(rnd: ReturnType<typeof prng>): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const c: Omit<Seeded, 'id'> = {
      email: `p${SEED}.${i}@${rnd.pick(DOMAINS)}`,
      customerType: rnd.pick(TYPES),
      status: rnd.pick(STATUSES),
      groupCode: rnd.pick(GROUPS),
      emailVerified: rnd.chance(0.5),
      emailMarketing: rnd.chance(0.5),
      dob: rnd.chance(0.8) ? `${rnd.int(1950, 2006)}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}` : null,
      registeredDaysAgo: rnd.int(0, 400),
      country: rnd.chance(0.75) ? rnd.pick(COUNTRIES) : null,
      stats: rnd.chance(0.7) ? { orders: rnd.int(0, 8), spentCents: rnd.int(0, 40000), lastOrderDaysAgo: rnd.chance(0.9) ? rnd.int(0, 300) : null } : null,
    };
    const [{ id }] = await server.db.query<{ id: string }>(
      `INSERT INTO customers (email, customer_type, status, email_verified, date_of_birth, group_id, created_at)
       VALUES ($1, $2, $3, $4, $5, (SELECT id FROM customer_groups WHERE code = $6),
               (date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => $7) + interval '12 hours') AT TIME ZONE 'UTC')
       RETURNING id`,
      [c.email, c.customerType, c.status, c.emailVerified, c.dob, c.groupCode, c.registeredDaysAgo],
    );
    await server.db.query('INSERT INTO customer_preferences (customer_id, email_marketing) VALUES ($1, $2)', [id, c.emailMarketing]);
    if (c.country) {
      await server.db.query(
        "INSERT INTO customer_addresses (customer_id, type, is_default, address_line_1, city, country_code) VALUES ($1, 'SHIPPING', true, '1 Main St', 'Town', $2)",
        [id, c.country],
      );
      // A non-default address elsewhere must not count.
      await server.db.query(
        "INSERT INTO customer_addresses (customer_id, type, is_default, address_line_1, city, country_code) VALUES ($1, 'SHIPPING', false, '2 Side St', 'Town', 'JP')",
        [id],
      );
    }
    if (c.stats) {
      await server.db.query(
        `INSERT INTO customer_statistics (customer_id, total_orders, total_spent, currency_code, last_order_at)
         VALUES ($1, $2, $3::numeric / 100, 'USD',
                 CASE WHEN $4::int IS NULL THEN NULL
                      ELSE (date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => $4::int) + interval '12 hours') AT TIME ZONE 'UTC' END)`,
        [id, c.stats.orders, c.stats.spentCents, c.stats.lastOrderDaysAgo],
      );
    }
    seeded.push({ id, ...c });
  }
  return seeded;
}

it(`refresh, one-customer evaluation and an independent evaluator agree (seed ${SEED})`, async () => {
  const rnd = prng(SEED);
  const customers = await seedCustomers(rnd);
  const admin = tokens.admin();
  const segments: { id: string; rules: Rule[]; minScore: number }[] = [];
  for (let i = 0; i < SEGMENTS; i++) {
    const rules = Array.from({ length: rnd.int(1, 4) }, () => randomRule(rnd));
    const minScore = rnd.int(1, 3);
    const res = await server.gql(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: { name: `prop-${SEED}-${i}`, rules, minScore } },
      admin,
    );
    if (!res.data) throw new Error(`seed ${SEED}: ${JSON.stringify(rules)} refused: ${JSON.stringify(res.errors)}`);
    segments.push({ id: res.data.createSegment.id, rules, minScore });
  }

  const expected = (segmentId: string) => {
    const s = segments.find((x) => x.id === segmentId)!;
    return customers
      .filter((c) => belongs(c, s.rules, s.minScore))
      .map((c) => c.id)
      .sort();
  };

  // Path 1: the set-based refresh of each segment.
  for (const s of segments) {
    const res = await server.gql('mutation($id: ID!) { refreshSegment(id: $id) { memberCount } }', { id: s.id }, admin);
    const members = await server.db.query<{ id: string }>('SELECT customer_id AS id FROM customer_segment_members WHERE segment_id = $1 ORDER BY 1', [s.id]);
    expect({ seed: SEED, rules: s.rules, minScore: s.minScore, members: members.map((m) => m.id).sort() }).toEqual({
      seed: SEED,
      rules: s.rules,
      minScore: s.minScore,
      members: expected(s.id),
    });
    expect(res.data!.refreshSegment.memberCount).toBe(members.length);
  }

  // Path 2: scoring one customer at a time finds exactly the same memberships (so it moves nobody).
  const before = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE type = 'segment.membership_changed'");
  for (const c of customers) {
    const res = await server.gql('mutation($id: ID!) { evaluateCustomerSegments(customerId: $id) { id } }', { id: c.id }, admin);
    const got = res.data!.evaluateCustomerSegments.map((s: { id: string }) => s.id).sort();
    const want = segments
      .filter((s) => belongs(c, s.rules, s.minScore))
      .map((s) => s.id)
      .sort();
    expect({ seed: SEED, customer: c, segments: got }).toEqual({ seed: SEED, customer: c, segments: want });
  }
  const after = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE type = 'segment.membership_changed'");
  expect(after[0].n).toBe(before[0].n);
});
