import { AuditSeverity, CustomerOrderField, CustomerStatus, CustomerType, Gender, RegistrationSource, SortDirection } from '../../common/enums';
import { pageSize } from '../../common/cursor';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import { propsFor, selectList, takePrefixed } from '../../db/columns';
import type { SessionStore } from '../../auth/sessions';
import type { Database, Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor, UnitOfWork } from '../../application/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { GROUP_COLUMN, GroupRecord } from '../group/group.record';
import { GroupRepository } from '../group/group.repository';
import { GroupService } from '../group/group.service';
import { PREFERENCES_COLUMN, PreferencesRecord } from '../preference/preference.record';
import { CUSTOMER_COLUMNS, customerColumns, customerProperties, CustomerRecord } from './customer.record';
import { limitClause, SqlParams } from '../../db/sql-params';
import { cursorFor, CustomerListFilter, CustomerListOrder, filterConditions, keyset } from './customer.list-query';

export interface NewCustomer {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  dateOfBirth?: string | null;
  gender?: Gender | null;
  customerType?: CustomerType | null;
  registrationSource?: RegistrationSource | null;
  groupId?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** undefined: leave as is; null: clear (refused for email and customerType). */
export type CustomerChange = { [K in keyof Omit<NewCustomer, 'registrationSource' | 'groupId'>]?: NewCustomer[K] | null };

/**
 * Related rows a list query may join in one statement instead of a loader round each, with
 * the fields wanted of each.
 */
export interface ListIncludes {
  group?: ReadonlySet<string>;
  preferences?: ReadonlySet<string>;
}

export interface CustomerPage {
  edges: { cursor: string; node: CustomerRecord }[];
  nodes: CustomerRecord[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  countTotal: () => Promise<number>;
}

const DEFAULT_ORDER: CustomerListOrder = { field: CustomerOrderField.CREATED_AT, direction: SortDirection.DESC };

/** Column for each changeable field (fixed names, so no client string reaches the SQL text). */
const UPDATABLE: Record<keyof CustomerChange, string> = {
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  phone: 'phone',
  dateOfBirth: 'date_of_birth',
  gender: 'gender',
  customerType: 'customer_type',
  metadata: 'metadata',
};

export class CustomerService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
    private readonly sessions: SessionStore,
  ) {}

  async findByEmail(email: string): Promise<CustomerRecord | null> {
    const [row] = await this.db.query<CustomerRecord>(`SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE lower(c.email) = $1 AND c.deleted_at IS NULL`, [
      email.trim().toLowerCase(),
    ]);
    return row ?? null;
  }

  async list(
    filter: CustomerListFilter | null | undefined,
    order: CustomerListOrder | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
    fields: ReadonlySet<string> | null = null,
    include: ListIncludes = {},
  ): Promise<CustomerPage> {
    const limit = pageSize(first, 20);
    const p = new SqlParams();
    const conditions = filterConditions(filter, p);
    const countParams = [...p.values];
    const countTotal = async () => {
      if (!conditions) return 0;
      const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers c WHERE ${conditions.join(' AND ')}`, countParams);
      return row.n;
    };
    if (!conditions || limit === 0) {
      if (after) keyset(order ?? DEFAULT_ORDER, after, new SqlParams()); // still refuse a malformed cursor
      return { edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: Boolean(after), startCursor: null, endCursor: null }, countTotal };
    }
    const page = keyset(order ?? DEFAULT_ORDER, after, p);
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
    const rows = await this.db.query<CustomerRecord & { sortKey: string }>(
      `SELECT ${select.join(', ')} FROM customers c ${joins.join(' ')}
        WHERE ${[...conditions, ...page.where].join(' AND ')}
        ORDER BY ${page.orderBy} LIMIT ${limitClause(limit + 1)}`,
      p.values,
    );
    for (const row of rows) {
      const r = row as unknown as Record<string, unknown>;
      if (groupProps) row.group = takePrefixed<GroupRecord>(r, 'g.', groupProps, 'id');
      if (prefProps) row.preferences = takePrefixed<PreferencesRecord>(r, 'p.', prefProps, 'customerId');
    }
    const hasNextPage = rows.length > limit;
    // Cursors are encoded only if a client reads them (a getter), not for every row.
    const edges = rows.slice(0, limit).map((node) => ({
      get cursor() {
        return cursorFor(page.tag, node.sortKey, node.id);
      },
      node: node as CustomerRecord,
    }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      countTotal,
    };
  }

  /** The customer, their default preferences and their group, in one transaction. */
  async create(input: NewCustomer, actor: Actor): Promise<CustomerRecord> {
    return this.work.run(actor, (w) => this.insert(w, input));
  }

  /** Inserts a customer inside a caller's unit of work (registration adds credentials to it). */
  async insert(w: UnitOfWork, input: NewCustomer): Promise<CustomerRecord> {
    const c = checkProfile(input);
    const groupId = input.groupId ? await requireGroup(w.tx, input.groupId) : await GroupService.defaultGroupId(w.tx);
    const [row] = await guardEmail(() =>
      w.tx.query<CustomerRecord>(
        `INSERT INTO customers AS c (email, first_name, last_name, phone, date_of_birth, gender, customer_type,
                                     registration_source, metadata, group_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${CUSTOMER_COLUMNS}`,
        [
          c.email,
          c.firstName ?? null,
          c.lastName ?? null,
          c.phone ?? null,
          c.dateOfBirth ?? null,
          c.gender ?? null,
          input.customerType ?? CustomerType.INDIVIDUAL,
          input.registrationSource ?? null,
          JSON.stringify(c.metadata ?? {}),
          groupId,
        ],
      ),
    );
    await w.tx.query('INSERT INTO customer_preferences (customer_id) VALUES ($1)', [row.id]);
    const { newValues } = changedValues({} as CustomerRecord, row, AUDITED_FIELDS);
    w.audit({ eventType: 'customer.profile.create', customerId: row.id, resourceId: row.id, operation: 'create', newValues });
    w.emit({ type: 'customer.created', customerId: row.id, data: { customerId: row.id, customerType: row.customerType, groupId } });
    w.segmentsMayChange(row.id);
    return row;
  }

  async update(id: string, change: CustomerChange, actor: Actor): Promise<CustomerRecord> {
    const c = checkProfile(change);
    const fields = (Object.keys(UPDATABLE) as (keyof CustomerChange)[]).filter((k) => c[k] !== undefined);
    return this.work.run(actor, async (w) => {
      const before = await lockLive(w.tx, id);
      if (!fields.length) return before;
      const p = new SqlParams();
      const idParam = p.add(id);
      const sets = fields.map((k) => `${UPDATABLE[k]} = ${p.add(k === 'metadata' ? JSON.stringify(c.metadata ?? {}) : c[k])}`);
      // A new address is unverified until its owner proves it (verification tokens name the old one).
      if (c.email !== undefined && c.email !== before.email) sets.push('email_verified = false');
      const [row] = await guardEmail(() =>
        w.tx.query<CustomerRecord>(
          `UPDATE customers AS c SET ${sets.join(', ')}, updated_at = now() WHERE c.id = ${idParam} RETURNING ${CUSTOMER_COLUMNS}`,
          p.values,
        ),
      );
      const diff = changedValues(before, row, AUDITED_FIELDS);
      // A new address ends every other session: one opened by someone else must not outlive the
      // move (the session making the change, if it is the customer's, stays).
      const sessionsRevoked = row.email !== before.email ? await this.sessions.revokeAll(w.tx, id, ownSession(actor, id)) : undefined;
      if (diff.changed.length) {
        w.audit({
          eventType: 'customer.profile.update',
          customerId: id,
          resourceId: id,
          operation: 'update',
          ...diff,
          ...(sessionsRevoked !== undefined ? { metadata: { sessionsRevoked } } : {}),
        });
        w.emit({ type: 'customer.updated', customerId: id, data: { customerId: id, changedFields: diff.changed } });
        w.segmentsMayChange(id);
      }
      return row;
    });
  }

  async setStatus(id: string, status: CustomerStatus, actor: Actor): Promise<CustomerRecord> {
    if (status === CustomerStatus.DELETED) {
      throw DomainError.badInput('status', 'use deleteCustomer to erase a customer; DELETED cannot be set directly');
    }
    return this.work.run(actor, async (w) => {
      const before = await lockLive(w.tx, id);
      const row = await setColumn(w.tx, id, 'status', status);
      if (before.status !== status) {
        const suspended = status === CustomerStatus.SUSPENDED;
        // Suspension ends every session: lifting it later must not bring back tokens issued
        // before it (one of them may be why the account was suspended).
        const sessionsRevoked = suspended ? await this.sessions.revokeAll(w.tx, id) : undefined;
        w.audit({
          eventType: 'customer.status.change',
          severity: suspended ? AuditSeverity.WARN : AuditSeverity.INFO,
          customerId: id,
          resourceId: id,
          operation: 'update',
          oldValues: { status: before.status },
          newValues: { status },
          ...(suspended ? { metadata: { sessionsRevoked } } : {}),
        });
        w.emit({ type: 'customer.status_changed', customerId: id, data: { customerId: id, from: before.status, to: status } });
        w.segmentsMayChange(id);
      }
      return row;
    });
  }

  /** A null group means the default group. */
  async assignGroup(customerId: string, groupId: string | null | undefined, actor: Actor): Promise<CustomerRecord> {
    return this.work.run(actor, async (w) => {
      const before = await lockLive(w.tx, customerId);
      const target = groupId ? await requireGroup(w.tx, groupId) : await GroupService.defaultGroupId(w.tx);
      const row = await setColumn(w.tx, customerId, 'group_id', target);
      if (before.groupId !== target) {
        w.audit({
          eventType: 'customer.group.change',
          customerId,
          resourceId: target,
          operation: 'update',
          oldValues: { groupId: before.groupId },
          newValues: { groupId: target },
        });
        w.emit({ type: 'customer.group_changed', customerId, data: { customerId, from: before.groupId, to: target } });
        w.segmentsMayChange(customerId);
      }
      return row;
    });
  }
}

/** Profile fields whose changes are audited (every public column but timestamps). */
const AUDITED_FIELDS: (keyof CustomerRecord & string)[] = [
  'email',
  'firstName',
  'lastName',
  'phone',
  'dateOfBirth',
  'gender',
  'customerType',
  'status',
  'registrationSource',
  'metadata',
  'groupId',
];

/** The live customer, row-locked for the rest of the transaction. */
async function lockLive(tx: Queryable, id: string): Promise<CustomerRecord> {
  const [row] = isUuid(id)
    ? await tx.query<CustomerRecord>(`SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.deleted_at IS NULL FOR NO KEY UPDATE`, [id])
    : [];
  if (!row) throw DomainError.notFound('Customer');
  return row;
}

async function setColumn(tx: Queryable, id: string, column: 'status' | 'group_id', value: string): Promise<CustomerRecord> {
  const [row] = await tx.query<CustomerRecord>(`UPDATE customers AS c SET ${column} = $2, updated_at = now() WHERE c.id = $1 RETURNING ${CUSTOMER_COLUMNS}`, [
    id,
    value,
  ]);
  return row;
}

/**
 * The group, held (KEY SHARE) until the transaction ends: a deleteCustomerGroup running beside
 * this either finishes first (and the group is not found here) or waits, and then moves this
 * customer to the default group with the others. Read without the lock, the foreign key would
 * fail the statement that assigns the group (a 500).
 */
async function requireGroup(tx: Queryable, groupId: string): Promise<string> {
  if (!isUuid(groupId) || !(await new GroupRepository().lockExisting(tx, groupId))) throw DomainError.badInput('groupId', 'no customer group has this id');
  return groupId;
}

/** Two creates racing for one email both pass any pre-check; the unique index decides. */
async function guardEmail<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err, 'uq_customers_email')) throw new DomainError('EMAIL_TAKEN', 'A customer with this email already exists');
    throw err;
  }
}

/** Rules that need more than a field's own format (checked after input normalisation). */
function checkProfile<T extends CustomerChange>(c: T): T {
  if (c.email === null) throw DomainError.badInput('input.email', 'cannot be cleared');
  if (c.customerType === null) throw DomainError.badInput('input.customerType', 'cannot be cleared');
  if (c.dateOfBirth) {
    const today = new Date().toISOString().slice(0, 10);
    if (c.dateOfBirth > today) throw DomainError.badInput('input.dateOfBirth', 'cannot be in the future');
    if (c.dateOfBirth < '1900-01-01') throw DomainError.badInput('input.dateOfBirth', 'must be on or after 1900-01-01');
  }
  if (c.metadata !== undefined && c.metadata !== null) jsonObject('input.metadata', c.metadata);
  return c;
}

/** The session the actor acts in, when the actor is this customer. */
function ownSession(actor: Actor, customerId: string): string | null {
  return actor.viewer.kind === 'customer' && actor.viewer.customerId === customerId ? actor.viewer.sessionId : null;
}
