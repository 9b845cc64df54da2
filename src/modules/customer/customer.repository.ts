import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Queryable } from '../../db/database';
import { propsFor, selectList, takePrefixed } from '../../db/columns';
import type { IdLookups } from '../../db/id-lookups';
import { limitClause } from '../../db/sql-params';
import { GROUP_COLUMN, GroupRecord } from '../group/group.record';
import { PREFERENCES_COLUMN, PreferencesRecord } from '../preference/preference.record';
import { CustomerEntity } from './customer.entity';
import type { KeysetPage } from './customer.list-query';
import { CUSTOMER_COLUMNS, CUSTOMER_RETURNING, customerColumns, customerProperties, CustomerRecord } from './customer.record';

/** TypeORM's type for written values cannot take a JSON object (`metadata`): the values are ours, typed above. */
type Entity = QueryDeepPartialEntity<CustomerEntity>;

/** What a new customers row is written with (the rest are column defaults). */
export interface CustomerValues {
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  dateOfBirth: string | null;
  gender: string | null;
  customerType: string;
  registrationSource: string | null;
  metadata: Record<string, unknown>;
  groupId: string | null;
}

/** A profile change: only the properties given are written. */
export type CustomerUpdate = Partial<Omit<CustomerValues, 'registrationSource' | 'groupId'>> & { emailVerified?: boolean };

/** Related rows a page may join into its statement, with the fields wanted of each. */
export interface ListIncludes {
  group?: ReadonlySet<string>;
  preferences?: ReadonlySet<string>;
}

/**
 * `customers`: the only code that reads or writes it, locks included. Each method takes the
 * database or the unit of work's transaction (`Queryable`) and sends one statement.
 *
 * Written SQL where it is the better tool, each saying why: the by-id reads (one statement text
 * per column list, shared by concurrent requests through IdLookups) and the keyset page (row
 * comparison against a cursor, optional joins, a column list per selection). The rest goes
 * through TypeORM's QueryBuilder; reads ask for raw rows (`getRawOne`) selected as
 * CustomerRecord's properties, as the hand-written statements do, so a record is the same
 * plain object whichever way it was read.
 */
export class CustomerRepository {
  /** The live customer with this (already normalised) email. */
  async findByEmail(q: Queryable, email: string): Promise<CustomerRecord | null> {
    const row = await q.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select(CUSTOMER_COLUMNS)
      .where('lower(c.email) = :email', { email })
      .andWhere('c.deleted_at IS NULL')
      .getRawOne<CustomerRecord>();
    return row ?? null;
  }

  /**
   * The live customer, row-locked (FOR NO KEY UPDATE: foreign-key checks of other tables do not
   * wait) for the rest of the transaction; null when there is none.
   */
  async lockLive(tx: Queryable, id: string): Promise<CustomerRecord | null> {
    const row = await this.byId(tx, id, 'live').select(CUSTOMER_COLUMNS).setLock('for_no_key_update').getRawOne<CustomerRecord>();
    return row ?? null;
  }

  /**
   * The same lock, reading nothing: true when the customer is live. Changes to a customer's own
   * rows (addresses, wishlist, preferences, consents) take it first, so they queue behind one
   * another and behind an erasure, which marks the customer deleted under the same lock.
   */
  async lockLiveId(tx: Queryable, id: string): Promise<boolean> {
    const row = await this.byId(tx, id, 'live').select('1', 'one').setLock('for_no_key_update').getRawOne();
    return row !== undefined;
  }

  async insert(tx: Queryable, values: CustomerValues): Promise<CustomerRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CustomerEntity)
      .values(values as Entity)
      .returning(CUSTOMER_RETURNING)
      .updateEntity(false)
      .execute();
    return (res.raw as CustomerRecord[])[0];
  }

  async update(tx: Queryable, id: string, change: CustomerUpdate & { status?: string; groupId?: string | null }): Promise<CustomerRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerEntity)
      .set({ ...change, updatedAt: () => 'now()' } as Entity)
      .where('id = :id', { id })
      .returning(CUSTOMER_RETURNING)
      .updateEntity(false)
      .execute();
    return (res.raw as CustomerRecord[])[0];
  }

  /**
   * Live customers by id (erased ones too with `erased`, for `_entities`), with the properties
   * asked: through IdLookups, so concurrent requests asking for the same properties share one
   * statement. Its text is the sharing key, hence written SQL, built once per property list.
   */
  byIds(lookups: IdLookups, props: string, erased: boolean, ids: readonly string[]): Promise<ReadonlyMap<string, CustomerRecord>> {
    return lookups.byId<CustomerRecord>(selectByIds(props, erased), ids);
  }

  /**
   * One keyset page: `limit` rows after the cursor (in `page.where`) that match `conditions`,
   * with the sort key, and the group and preferences joined in when a selection asks for them
   * (one statement for the page of a storefront or the admin list, on a benchmarked path).
   */
  async page(
    q: Queryable,
    conditions: string[],
    params: unknown[],
    page: KeysetPage,
    limit: number,
    fields: ReadonlySet<string> | null,
    include: ListIncludes,
  ): Promise<(CustomerRecord & { sortKey: string })[]> {
    const select = [customerColumns(customerProperties(fields)), page.sortKeySelect];
    const joins: string[] = [];
    const groupProps = include.group && propsFor(GROUP_COLUMN, include.group, 'id');
    const prefProps = include.preferences && propsFor(PREFERENCES_COLUMN, include.preferences, 'customerId');
    if (groupProps) {
      select.push(selectList(GROUP_COLUMN, groupProps, 'g.'));
      joins.push('LEFT JOIN customer_groups g ON g.id = c.group_id');
    }
    if (prefProps) {
      select.push(selectList(PREFERENCES_COLUMN, prefProps, 'p.'));
      joins.push('LEFT JOIN customer_preferences p ON p.customer_id = c.id');
    }
    const rows = await q.query<CustomerRecord & { sortKey: string }>(
      `SELECT ${select.join(', ')} FROM customers c ${joins.join(' ')}
        WHERE ${[...conditions, ...page.where].join(' AND ')}
        ORDER BY ${page.orderBy} LIMIT ${limitClause(limit)}`,
      params,
    );
    for (const row of rows) {
      const r = row as unknown as Record<string, unknown>;
      if (groupProps) row.group = takePrefixed<GroupRecord>(r, 'g.', groupProps, 'id');
      if (prefProps) row.preferences = takePrefixed<PreferencesRecord>(r, 'p.', prefProps, 'customerId');
    }
    return rows;
  }

  /** How many customers match `conditions` (a filter's, which always leaves erased ones out). */
  async count(q: Queryable, conditions: string[], params: unknown[]): Promise<number> {
    const [row] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers c WHERE ${conditions.join(' AND ')}`, params);
    return row.n;
  }

  /**
   * GDPR erasure's first step: the customer's row locked FOR UPDATE (an erasure excludes every
   * other change of the customer, key-share locks of other tables' foreign keys included), with
   * what erasure needs of it. Null when there is no such customer, erased or not.
   */
  async lockForErasure(tx: Queryable, id: string): Promise<{ deletedAt: Date | null; email: string } | null> {
    const row = await this.byId(tx, id)
      .select('c.deleted_at AS "deletedAt", c.email AS email')
      .setLock('pessimistic_write')
      .getRawOne<{ deletedAt: Date | null; email: string }>();
    return row ?? null;
  }

  /**
   * Erases the personal columns of the customer row and marks it deleted; the id stays (other
   * subgraphs hold it), the email becomes `erased+<id>@<domain>` (unique, and no one's).
   */
  async erasePersonal(tx: Queryable, id: string, erasedEmailDomain: string): Promise<Date> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerEntity)
      .set({
        email: () => `'erased+' || id || '@' || :domain`,
        firstName: null,
        lastName: null,
        phone: null,
        dateOfBirth: null,
        gender: null,
        metadata: () => "'{}'",
        emailVerified: false,
        twoFactorEnabled: false,
        status: 'DELETED',
        deletedAt: () => 'now()',
        updatedAt: () => 'now()',
      })
      .setParameter('domain', erasedEmailDomain)
      .where('id = :id', { id })
      .returning('deleted_at AS "deletedAt"')
      .updateEntity(false)
      .execute();
    return (res.raw as { deletedAt: Date }[])[0].deletedAt;
  }

  /** The customer row as the data export shows it (erased or not), with when it was erased. */
  async exportPersonal(q: Queryable, id: string): Promise<(CustomerRecord & { deletedAt: Date | null }) | null> {
    const row = await this.byId(q, id).select(`${CUSTOMER_COLUMNS}, c.deleted_at AS "deletedAt"`).getRawOne<CustomerRecord & { deletedAt: Date | null }>();
    return row ?? null;
  }

  /** Live members per group, for the groups asked (absent: none). */
  async countLiveByGroup(q: Queryable, groupIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await q.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.group_id', 'groupId')
      .addSelect('count(*)::int', 'n')
      .where('c.group_id = ANY(:ids::uuid[])', { ids: groupIds })
      .andWhere('c.deleted_at IS NULL')
      .groupBy('c.group_id')
      .getRawMany<{ groupId: string; n: number }>();
    return new Map(rows.map((r) => [r.groupId, r.n]));
  }

  /** Moves every member of a group (erased ones too: the group is going away) to another; their ids. */
  async moveGroupMembers(tx: Queryable, from: string, to: string): Promise<string[]> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerEntity)
      .set({ groupId: to, updatedAt: () => 'now()' })
      .where('group_id = :from', { from })
      .returning('id')
      .execute();
    return (res.raw as { id: string }[]).map((r) => r.id);
  }

  // --- for sign-in, email verification and two-factor (modules/auth)

  /** The customer's record, erased or not. */
  async record(q: Queryable, id: string): Promise<CustomerRecord | null> {
    const row = await this.byId(q, id).select(CUSTOMER_COLUMNS).getRawOne<CustomerRecord>();
    return row ?? null;
  }

  /**
   * The email and the two-factor flag of a live customer, with their row lock (FOR NO KEY
   * UPDATE) until the transaction ends; null when erased or unknown.
   */
  async lockLiveAccount(tx: Queryable, id: string): Promise<{ email: string; twoFactorEnabled: boolean } | null> {
    const row = await this.byId(tx, id, 'live')
      .select('c.email', 'email')
      .addSelect('c.twoFactorEnabled', 'twoFactorEnabled')
      .setLock('for_no_key_update')
      .getRawOne<{ email: string; twoFactorEnabled: boolean }>();
    return row ?? null;
  }

  /**
   * Whether the customer is live, holding a key-share lock on their row (an erasure waits for
   * the transaction; others asking the same do not queue). Asked for no customer too (`null`:
   * false), with the same statement.
   */
  async shareLive(tx: Queryable, id: string | null): Promise<boolean> {
    const row = await this.byId(tx, id, 'live').select('1', 'live').setLock('for_key_share').getRawOne();
    return row !== undefined;
  }

  /** A live customer who may sign in (not suspended), by lower-cased email. */
  async findActiveByEmail(q: Queryable, email: string): Promise<{ id: string; email: string } | null> {
    const row = await q.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.id', 'id')
      .addSelect('c.email', 'email')
      .where('lower(c.email) = :email', { email })
      .andWhere('c.deleted_at IS NULL')
      .andWhere("c.status <> 'SUSPENDED'")
      .getRawOne<{ id: string; email: string }>();
    return row ?? null;
  }

  /** The email is verified; answers the record as updated. */
  markEmailVerified(tx: Queryable, id: string): Promise<CustomerRecord> {
    return this.update(tx, id, { emailVerified: true });
  }

  async setTwoFactorEnabled(tx: Queryable, id: string, on: boolean): Promise<void> {
    await tx.manager.update(CustomerEntity, { id }, { twoFactorEnabled: on, updatedAt: () => 'now()' });
  }

  /** A query on the customer with this id (only while live with `'live'`), to select from. */
  private byId(q: Queryable, id: string | null, which: 'any' | 'live' = 'any') {
    const query = q.manager.createQueryBuilder(CustomerEntity, 'c').where('c.id = :id', { id });
    return which === 'live' ? query.andWhere('c.deleted_at IS NULL') : query;
  }
}

const statements = new Map<string, string>();

/** The by-id statement for one property list, built once (only CustomerRecord names survive customerProperties). */
function selectByIds(props: string, erased: boolean): string {
  const cacheKey = `${props}|${erased}`;
  let sql = statements.get(cacheKey);
  if (sql === undefined) {
    sql = `SELECT ${customerColumns(customerProperties(new Set(props.split(','))))} FROM customers c WHERE c.id = ANY($1::uuid[])${erased ? '' : ' AND c.deleted_at IS NULL'}`;
    if (statements.size < 1000) statements.set(cacheKey, sql);
  }
  return sql;
}
