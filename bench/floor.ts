import http from 'node:http';
import pg from 'pg';

/**
 * The floor: a plain Node `http` + `pg` server answering the benchmark's requests with the same
 * JSON as the subgraph, and nothing else (no GraphQL, no auth, no validation). The benchmark
 * reports the subgraph's throughput as a fraction of this. It tells the requests apart by their
 * `operationName`, and does what a hand-written endpoint would: one statement per table, the
 * related rows of a whole list in one `= ANY($1)`, only the columns the answer shows.
 */
const pool = new pg.Pool({ connectionString: process.env.BENCH_DSN, max: Number(process.env.BENCH_POOL ?? 10) });

const CUSTOMER = `SELECT id, email, first_name AS "firstName", last_name AS "lastName", status FROM customers
                   WHERE id = $1 AND deleted_at IS NULL`;
const PAGE = `SELECT id, email, first_name AS "firstName", last_name AS "lastName", group_id AS "groupId" FROM customers
               WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 50`;
const PREFS = `SELECT customer_id AS "customerId", email_marketing AS "emailMarketing", newsletter FROM customer_preferences
                WHERE customer_id = ANY($1::uuid[])`;
const GROUPS = 'SELECT id, code, name FROM customer_groups WHERE id = ANY($1::uuid[])';

const PROFILE = 'id, email, first_name AS "firstName", last_name AS "lastName"';
const LIST = `SELECT ${PROFILE} FROM customers WHERE deleted_at IS NULL ORDER BY created_at ASC, id ASC LIMIT 50`;
const ME = `SELECT ${PROFILE} FROM customers WHERE id = $1 AND deleted_at IS NULL`;
// `_entities` answers erased customers too (anonymised rows), so no deleted_at condition.
const ENTITIES = `SELECT ${PROFILE} FROM customers WHERE id = ANY($1::uuid[])`;
// The contract's order: defaults first, then newest first.
const ADDRESSES = `SELECT customer_id AS "customerId", id, city, postal_code AS "postalCode", is_default AS "isDefault"
                     FROM customer_addresses WHERE customer_id = ANY($1::uuid[]) AND deleted_at IS NULL
                    ORDER BY is_default DESC, created_at DESC, id DESC`;

type Profile = { id: string; email: string; firstName: string | null; lastName: string | null };
type Address = { customerId: string; id: string; city: string; postalCode: string | null; isDefault: boolean };

async function page(): Promise<unknown> {
  const rows = (await pool.query(PAGE)).rows as { id: string; groupId: string }[];
  const ids = rows.map((r) => r.id);
  const [prefs, groups] = await Promise.all([pool.query(PREFS, [ids]), pool.query(GROUPS, [[...new Set(rows.map((r) => r.groupId))]])]);
  const prefBy = new Map(prefs.rows.map((p: { customerId: string }) => [p.customerId, p]));
  const groupBy = new Map(groups.rows.map((g: { id: string }) => [g.id, g]));
  return {
    data: {
      customers: {
        nodes: rows.map(({ groupId, ...c }) => {
          const p = prefBy.get(c.id) as unknown as { emailMarketing: boolean; newsletter: boolean };
          const g = groupBy.get(groupId) as unknown as { code: string; name: string };
          return { ...c, preferences: { emailMarketing: p.emailMarketing, newsletter: p.newsletter }, group: { code: g.code, name: g.name } };
        }),
      },
    },
  };
}

/** The customers' addresses in one statement, attached to each customer in the answer's shape. */
async function withAddresses(customers: Profile[]): Promise<unknown[]> {
  const rows = (await pool.query(ADDRESSES, [customers.map((c) => c.id)])).rows as Address[];
  const by = new Map<string, Omit<Address, 'customerId'>[]>();
  for (const { customerId, ...a } of rows) {
    const list = by.get(customerId);
    if (list) list.push(a);
    else by.set(customerId, [a]);
  }
  return customers.map((c) => ({ ...c, addresses: by.get(c.id) ?? [] }));
}

async function customerList(): Promise<unknown> {
  const rows = (await pool.query(LIST)).rows as Profile[];
  return { data: { customers: { nodes: await withAddresses(rows) } } };
}

/** The `sub` claim of the bearer token, read but not verified (the floor does no auth). */
function subject(req: http.IncomingMessage): string {
  const token = (req.headers.authorization ?? '').slice('Bearer '.length);
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string }).sub;
}

async function me(req: http.IncomingMessage): Promise<unknown> {
  const rows = (await pool.query(ME, [subject(req)])).rows as Profile[];
  return { data: { me: rows.length ? (await withAddresses(rows))[0] : null } };
}

async function entities(representations: { id: string }[]): Promise<unknown> {
  const rows = (await pool.query(ENTITIES, [representations.map((r) => r.id)])).rows as Profile[];
  const by = new Map((await withAddresses(rows)).map((c) => [(c as Profile).id, c]));
  return { data: { _entities: representations.map((r) => by.get(r.id) ?? null) } };
}

interface Body {
  operationName?: string;
  variables?: { id?: string; representations?: { id: string }[] };
}

async function answer(req: http.IncomingMessage, body: Body): Promise<unknown> {
  switch (body.operationName) {
    case 'CustomerList':
      return customerList();
    case 'Me':
      return me(req);
    case 'Entities':
      return entities(body.variables?.representations ?? []);
    default:
      return body.variables?.id ? { data: { customer: (await pool.query(CUSTOMER, [body.variables.id])).rows[0] ?? null } } : page();
  }
}

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      try {
        const out = await answer(req, JSON.parse(body) as Body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      }
    });
  })
  .listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', function (this: http.Server) {
    const a = this.address();
    process.stdout.write(`floor listening ${JSON.stringify({ port: typeof a === 'object' && a ? a.port : 0 })}\n`);
  });
