import 'reflect-metadata';
import pg from 'pg';
import { SegmentField, SegmentOperator } from '../src/common/enums';
import { runMigrations } from '../src/db/migrate';
import { lockCustomer } from '../src/db/locks';
import { PostgresDatabase } from '../src/db/postgres';
import { systemActor } from '../src/auth/actor';
import { Transactor } from '../src/application/unit-of-work';
import { SegmentService } from '../src/modules/segment/segment.service';

/**
 * Segments at scale: a database of 1,000,000 customers (kept between runs: seeding takes a
 * while), a three-rule segment refreshed set-based, and one customer re-scored against five
 * active segments, timed in-process against PostgreSQL.
 */
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'customer_bench_segments';
const CUSTOMERS = Number(process.env.BENCH_SEGMENT_CUSTOMERS ?? 1_000_000);

export interface SegmentFigures {
  customers: number;
  firstRefreshSeconds: number;
  firstAdded: number;
  againRefreshSeconds: number;
  movedRefreshSeconds: number;
  moved: { added: number; removed: number };
  rescoreP50: number;
  rescoreP99: number;
  evaluateP50: number;
  evaluateP99: number;
}

function dsn(db: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function seed(db: PostgresDatabase): Promise<void> {
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM customers');
  if (n >= CUSTOMERS) return;
  process.stdout.write(`seeding ${CUSTOMERS} customers for the segment benchmark (once)...\n`);
  await db.query('TRUNCATE customers CASCADE');
  await db.query(
    `INSERT INTO customers (email, first_name, customer_type, status, email_verified, date_of_birth, group_id, created_at)
     SELECT 'c' || i || '@' || (ARRAY['gmail.test', 'shop.test', 'corp.test', 'mail.test'])[1 + i % 4],
            'Name' || i, CASE WHEN i % 10 = 0 THEN 'BUSINESS' ELSE 'INDIVIDUAL' END,
            CASE WHEN i % 50 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END, i % 3 = 0,
            date '1950-01-01' + (i % 20000), (SELECT id FROM customer_groups WHERE is_default),
            now() - make_interval(days => i % 1000)
       FROM generate_series(1, $1) AS i`,
    [CUSTOMERS],
  );
  await db.query('INSERT INTO customer_preferences (customer_id, email_marketing) SELECT id, (hashtext(id::text) % 2 = 0) FROM customers');
  await db.query(
    `INSERT INTO customer_statistics (customer_id, total_orders, total_spent, currency_code, first_order_at, last_order_at)
     SELECT id, abs(hashtext(id::text)) % 20, (abs(hashtext(id::text)) % 200000) / 100.0, 'USD', now() - interval '400 days',
            now() - make_interval(days => abs(hashtext(id::text)) % 365)
       FROM customers WHERE abs(hashtext(id::text)) % 10 < 7`,
  );
  await db.query(
    `INSERT INTO customer_addresses (customer_id, type, is_default, address_line_1, city, country_code)
     SELECT id, 'SHIPPING', true, '1 Main St', 'Town', (ARRAY['DE', 'FR', 'US', 'GB'])[1 + abs(hashtext(id::text)) % 4]
       FROM customers WHERE abs(hashtext(id::text)) % 2 = 0`,
  );
  await db.query('ANALYZE');
}

export async function segmentBenchmark(): Promise<SegmentFigures> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();

  const db = await PostgresDatabase.connect(dsn(DB_NAME), 4);
  try {
    if (process.env.BENCH_SEGMENT_RESEED) await db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await runMigrations(db);
    await seed(db);
    // Memberships have no foreign key (see the migration): they go with the segments here.
    // A clean start: no dead rows left by the previous run, and no checkpoint owed from the
    // seeding landing in the middle of the first refresh.
    await db.query('TRUNCATE customer_segments, customer_segment_members, outbox_events');
    await db.query('CHECKPOINT');
    const segments = new SegmentService(db, new Transactor(db), true);
    const actor = systemActor('bench');
    const segment = await segments.create(
      {
        name: 'Big spenders in Germany who read our mail',
        rules: [
          { field: SegmentField.TOTAL_SPENT, operator: SegmentOperator.GTE, value: '500', weight: 2 },
          { field: SegmentField.COUNTRY_CODE, operator: SegmentOperator.EQ, value: 'DE', weight: 1 },
          { field: SegmentField.EMAIL_MARKETING, operator: SegmentOperator.EQ, value: true, weight: 1 },
        ],
        minScore: 3,
      },
      actor,
    );
    const timed = async () => {
      const started = process.hrtime.bigint();
      const result = await segments.refresh(segment.id, actor);
      return { ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    };
    process.stdout.write('refreshing a three-rule segment over every customer...\n');
    const first = await timed();
    const again = await timed();
    // Move about 1 % of customers: some in, some out.
    await db.query(`UPDATE customer_preferences SET email_marketing = NOT email_marketing WHERE abs(hashtext(customer_id::text || 'move')) % 100 = 7`);
    const moved = await timed();

    for (let i = 0; i < 4; i++) {
      await segments.create(
        {
          name: `extra ${i}`,
          rules: [
            { field: SegmentField.AGE, operator: SegmentOperator.GTE, value: 20 + i * 10 },
            { field: SegmentField.EMAIL_DOMAIN, operator: SegmentOperator.EQ, value: 'shop.test' },
          ],
        },
        actor,
      );
    }
    process.stdout.write('re-scoring single customers against five segments...\n');
    // Steady state, not the aftermath of writing 300,000 rows: vacuum what the refreshes wrote,
    // then warm up before timing.
    await db.query('VACUUM ANALYZE customer_segment_members');
    await db.query('VACUUM ANALYZE outbox_events');
    await db.query('CHECKPOINT');
    const ids = (await db.query<{ id: string }>('SELECT id FROM customers TABLESAMPLE SYSTEM (1) LIMIT 1000')).map((r) => r.id);
    // The re-score itself (what a change pays inside its transaction), and the whole
    // evaluateCustomerSegments mutation (transaction, row lock, commit) around it.
    const work = new Transactor(db);
    for (const id of ids.slice(0, 100)) await work.run(actor, (w) => segments.rescore(w, [id]));
    const times: number[] = [];
    const whole: number[] = [];
    for (const id of ids) {
      await work.run(actor, async (w) => {
        // As in a real change, the customer's row is locked first; that statement also carries
        // the transaction's BEGIN (pipelined), which is not the re-score's to pay.
        await lockCustomer(w.tx, id);
        const started = process.hrtime.bigint();
        await segments.rescore(w, [id]);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      });
      const started = process.hrtime.bigint();
      await segments.evaluate(id, actor);
      whole.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    await db.query('TRUNCATE outbox_events');
    return {
      customers: CUSTOMERS,
      firstRefreshSeconds: first.seconds,
      firstAdded: first.added,
      againRefreshSeconds: again.seconds,
      movedRefreshSeconds: moved.seconds,
      moved: { added: moved.added, removed: moved.removed },
      rescoreP50: pct(times, 0.5),
      rescoreP99: pct(times, 0.99),
      evaluateP50: pct(whole, 0.5),
      evaluateP99: pct(whole, 0.99),
    };
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  segmentBenchmark()
    .then((f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`))
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
}
