import http from 'node:http';
import pg from 'pg';

/**
 * The floor: a plain Node `http` + `pg` server answering the same two requests as the
 * subgraph, with the same JSON, and nothing else (no GraphQL, no auth, no validation).
 * The benchmark reports the subgraph's throughput as a fraction of this.
 */
const pool = new pg.Pool({ connectionString: process.env.BENCH_DSN, max: Number(process.env.BENCH_POOL ?? 10) });

const CUSTOMER = `SELECT id, email, first_name AS "firstName", last_name AS "lastName", status FROM customers
                   WHERE id = $1 AND deleted_at IS NULL`;
const PAGE = `SELECT id, email, first_name AS "firstName", last_name AS "lastName", group_id AS "groupId" FROM customers
               WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 50`;
const PREFS = `SELECT customer_id AS "customerId", email_marketing AS "emailMarketing", newsletter FROM customer_preferences
                WHERE customer_id = ANY($1::uuid[])`;
const GROUPS = 'SELECT id, code, name FROM customer_groups WHERE id = ANY($1::uuid[])';

async function page(): Promise<unknown> {
  const rows = (await pool.query(PAGE)).rows as { id: string; groupId: string }[];
  const ids = rows.map((r) => r.id);
  const [prefs, groups] = await Promise.all([
    pool.query(PREFS, [ids]),
    pool.query(GROUPS, [[...new Set(rows.map((r) => r.groupId))]]),
  ]);
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

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      try {
        const { variables } = JSON.parse(body) as { variables?: { id?: string } };
        const out = variables?.id ? { data: { customer: (await pool.query(CUSTOMER, [variables.id])).rows[0] ?? null } } : await page();
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
