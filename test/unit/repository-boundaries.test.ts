import fs from 'node:fs';
import path from 'node:path';

/**
 * One repository per module is the only code that touches that module's tables (issue #16):
 * no SQL naming a table (FROM, JOIN, INTO, UPDATE, TABLE, USING, REFERENCES) lives outside
 * its owner's repository. Comments are left out of the scan; entities name their table in
 * `@Entity(...)`, which is no SQL.
 */

const SRC = path.join(__dirname, '../../src');

/** Table -> the one file that may write SQL touching it. */
const OWNER: Record<string, string> = {
  customer_groups: 'modules/group/group.repository.ts',
  customers: 'modules/customer/customer.repository.ts',
  customer_preferences: 'modules/preference/preference.repository.ts',
  consent_log: 'modules/preference/preference.repository.ts',
  customer_addresses: 'modules/address/address.repository.ts',
  customer_wishlist_items: 'modules/wishlist/wishlist.repository.ts',
  audit_events: 'modules/audit/audit.repository.ts',
  outbox_events: 'events/outbox.repository.ts',
  customer_credentials: 'modules/auth/auth.repository.ts',
  customer_sessions: 'modules/auth/auth.repository.ts',
  customer_tokens: 'modules/auth/auth.repository.ts',
  customer_two_factor: 'modules/auth/auth.repository.ts',
  customer_recovery_codes: 'modules/auth/auth.repository.ts',
  login_lockouts: 'modules/auth/lockout.repository.ts',
  customer_segments: 'modules/segment/segment.repository.ts',
  customer_segment_members: 'modules/segment/segment.repository.ts',
  customer_statistics: 'modules/statistics/statistics.repository.ts',
  customer_order_ledger: 'modules/statistics/statistics.repository.ts',
};

/**
 * Reads of another module's tables that stay, on purpose, in a repository's own statement:
 * one statement where a repository call each would cost a round trip on a benchmarked path.
 * Each entry says why. A statement that writes several modules' tables at once is instead
 * composed of parts each owner writes (the unit of work's journal: audit and outbox
 * `journalInsert`, application/journal.repository.ts; a refresh's outbox batches:
 * `membershipBatches`), so it needs no entry here.
 */
const JOINED: Record<string, { tables: string[]; why: string }> = {
  'modules/customer/customer.repository.ts': {
    tables: ['customer_groups', 'customer_preferences'],
    why: 'a page of customers joins the group and preferences a selection asks for: one statement per page, not one per related module',
  },
  'modules/segment/segment.repository.ts': {
    tables: ['customer_addresses', 'customer_groups', 'customer_preferences', 'customer_statistics', 'customers'],
    why:
      'segment rules compile to one SQL boolean over a customer and the tables its rules read (statistics, group, preferences, ' +
      'default shipping address): a refresh scores every customer in one set-based statement that writes the memberships and ' +
      'their outbox batches, and re-scoring scores the changed customers in one statement inside their transaction',
  },
  'modules/auth/auth.repository.ts': {
    tables: ['customers'],
    why:
      'one round trip on the sign-in and request paths: findAccount reads the customer with their password hash (every login, ' +
      'the same statement for known and unknown emails), factorState the two-factor flag with the factor and the session ' +
      '(every re-authentication), isSessionLive the session with its customer (every request with a session token)',
  },
};

const TABLES = Object.keys(OWNER);
const SQL_REF = new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|USING|REFERENCES)\\s+(?:ONLY\\s+)?(${TABLES.join('|')})\\b`, 'gi');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** file -> tables its SQL touches that another module owns (or that it owns but is not the repository). */
function foreignTouches(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const touched = new Set<string>();
    for (const m of withoutComments(fs.readFileSync(file, 'utf8')).matchAll(SQL_REF)) {
      const table = m[1].toLowerCase();
      if (OWNER[table] !== rel) touched.add(table);
    }
    if (touched.size) out[rel] = [...touched].sort();
  }
  return out;
}

it('finds SQL touching a module table only in its repository (and in the listed joins)', () => {
  const allowed: Record<string, string[]> = {};
  for (const [file, { tables }] of Object.entries(JOINED)) allowed[file] = [...tables];
  for (const file of Object.keys(allowed)) allowed[file].sort();
  expect(foreignTouches()).toEqual(allowed);
});

it('finds no table named as a string outside its repository and entity (SQL built from a list of names escapes the scan above)', () => {
  const quoted = new RegExp(`['"\`](${TABLES.join('|')})['"\`]`, 'g');
  const found: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    if (rel.endsWith('.entity.ts')) continue;
    for (const m of withoutComments(fs.readFileSync(file, 'utf8')).matchAll(quoted)) if (OWNER[m[1]] !== rel) found.push(`${rel}: ${m[1]}`);
  }
  expect(found).toEqual([]);
});

it('uses TypeORM entities only in repositories (and the entity list, and other entities for their foreign keys)', () => {
  const users = files(SRC)
    .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
    .filter((rel) => /from '[^']*\.entity'/.test(fs.readFileSync(path.join(SRC, rel), 'utf8')))
    .filter((rel) => !/\.(repository|entity)\.ts$/.test(rel) && rel !== 'db/entities.ts');
  expect(users).toEqual([]);
});

it('knows every table the migrations create', () => {
  const migrations = fs.readdirSync(path.join(SRC, '../migrations')).map((f) => fs.readFileSync(path.join(SRC, '../migrations', f), 'utf8'));
  const created = migrations.flatMap((m) => [...m.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)].map((x) => x[1]));
  expect(created.sort()).toEqual([...TABLES].sort());
});
