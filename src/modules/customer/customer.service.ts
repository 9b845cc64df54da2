import { canonicalEmail } from '../../common/email';
import { AuditSeverity, CustomerOrderField, CustomerStatus, CustomerType, Gender, RegistrationSource, SortDirection } from '../../common/enums';
import { pageSize } from '../../common/cursor';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { SessionStore } from '../../auth/sessions';
import { oneTimeTokens } from '../auth/one-time-tokens';
import type { Database, Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor, UnitOfWork } from '../../application/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { GroupRepository } from '../group/group.repository';
import { GroupService } from '../group/group.service';
import type { CustomerRecord } from './customer.record';
import { CustomerRepository, type CustomerUpdate, type ListIncludes } from './customer.repository';
import { SqlParams } from '../../db/sql-params';
import { PreferenceRepository } from '../preference/preference.repository';
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

export interface CustomerPage {
  edges: { cursor: string; node: CustomerRecord }[];
  nodes: CustomerRecord[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  countTotal: () => Promise<number>;
}

const DEFAULT_ORDER: CustomerListOrder = { field: CustomerOrderField.CREATED_AT, direction: SortDirection.DESC };

/** The changeable fields. */
const UPDATABLE: (keyof CustomerChange)[] = ['email', 'firstName', 'lastName', 'phone', 'dateOfBirth', 'gender', 'customerType', 'metadata'];

export class CustomerService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
    private readonly sessions: SessionStore,
    private readonly customers = new CustomerRepository(),
    private readonly preferences = new PreferenceRepository(),
  ) {}

  /** The live customer, row-locked for the rest of the transaction. */
  private async lockLive(tx: Queryable, id: string): Promise<CustomerRecord> {
    const row = isUuid(id) ? await this.customers.lockLive(tx, id) : null;
    if (!row) throw DomainError.notFound('Customer');
    return row;
  }

  findByEmail(email: string): Promise<CustomerRecord | null> {
    return this.customers.findByEmail(this.db, canonicalEmail(email));
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
    const countTotal = async () => (conditions ? this.customers.count(this.db, conditions, countParams) : 0);
    if (!conditions || limit === 0) {
      if (after) keyset(order ?? DEFAULT_ORDER, after, new SqlParams()); // still refuse a malformed cursor
      return { edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: Boolean(after), startCursor: null, endCursor: null }, countTotal };
    }
    const page = keyset(order ?? DEFAULT_ORDER, after, p);
    // One more than the page: whether there is a next one.
    const rows = await this.customers.page(this.db, conditions, p.values, page, limit + 1, fields, include);
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
    const row = await guardEmail(() =>
      this.customers.insert(w.tx, {
        email: c.email,
        firstName: c.firstName ?? null,
        lastName: c.lastName ?? null,
        phone: c.phone ?? null,
        dateOfBirth: c.dateOfBirth ?? null,
        gender: c.gender ?? null,
        customerType: input.customerType ?? CustomerType.INDIVIDUAL,
        registrationSource: input.registrationSource ?? null,
        metadata: c.metadata ?? {},
        groupId,
      }),
    );
    await this.preferences.insertDefaults(w.tx, row.id);
    const { newValues } = changedValues({} as CustomerRecord, row, AUDITED_FIELDS);
    w.audit({ eventType: 'customer.profile.create', customerId: row.id, resourceId: row.id, operation: 'create', newValues });
    w.emit({ type: 'customer.created', customerId: row.id, data: { customerId: row.id, customerType: row.customerType, groupId } });
    w.segmentsMayChange(row.id);
    return row;
  }

  async update(id: string, change: CustomerChange, actor: Actor): Promise<CustomerRecord> {
    const c = checkProfile(change);
    const fields = UPDATABLE.filter((k) => c[k] !== undefined);
    return this.work.run(actor, async (w) => {
      const before = await this.lockLive(w.tx, id);
      if (!fields.length) return before;
      const values: CustomerUpdate = {};
      for (const k of fields) (values as Record<string, unknown>)[k] = k === 'metadata' ? (c.metadata ?? {}) : c[k];
      // A new address is unverified until its owner proves it (verification tokens name the old one).
      if (c.email !== undefined && c.email !== before.email) values.emailVerified = false;
      const row = await guardEmail(() => this.customers.update(w.tx, id, values));
      const diff = changedValues(before, row, AUDITED_FIELDS);
      // A new address ends every other session: one opened by someone else must not outlive the
      // move (the session making the change, if it is the customer's, stays).
      const moved = row.email !== before.email;
      const sessionsRevoked = moved ? await this.sessions.revokeAll(w.tx, id, ownSession(actor, id)) : undefined;
      // And every link sent to the old address (verification, reset).
      if (moved) await oneTimeTokens.voidAll(w.tx, id);
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
      const before = await this.lockLive(w.tx, id);
      const row = await this.customers.update(w.tx, id, { status });
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
      const before = await this.lockLive(w.tx, customerId);
      const target = groupId ? await requireGroup(w.tx, groupId) : await GroupService.defaultGroupId(w.tx);
      const row = await this.customers.update(w.tx, customerId, { groupId: target });
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
