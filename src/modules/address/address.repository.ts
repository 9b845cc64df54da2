import type { AddressType } from '../../common/enums';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Queryable } from '../../db/database';
import type { ColumnMap } from '../../db/columns';
import type { IdLookups } from '../../db/id-lookups';
import { returningList, selectRecord } from '../../db/select-record';
import { CustomerAddressEntity } from './address.entity';
import { ADDRESS_COLUMN, addressColumns, ADDRESS_ORDER, AddressFields, AddressRecord, ValidAddressFields, WRITABLE_ADDRESS_FIELDS } from './address.record';

/** What an AddressRecord reads of the entity (every column but `deletedAt`). */
const RECORD = Object.keys(ADDRESS_COLUMN) as (keyof AddressRecord & keyof CustomerAddressEntity)[];
const SELECT = RECORD.map((p) => `a.${p}`);
/** The same, as a RETURNING list (a written row comes back as a record in the same statement). */
const RETURNING = returningList(ADDRESS_COLUMN, 'a');
/** What the export reads: the record and when it was deleted. */
const EXPORT_COLUMN: ColumnMap<AddressExportRow> = { ...ADDRESS_COLUMN, deletedAt: 'a.deleted_at' };

type Row = Pick<CustomerAddressEntity, (typeof RECORD)[number]>;
/** The entity's `type` is the column's text; the CHECK constraint makes it an AddressType. */
const asRecord = (row: Row): AddressRecord => row as AddressRecord;

/** TypeORM's write types take no `unknown` JSON values; the driver stringifies a jsonb value either way. */
const jsonb = (value: Record<string, unknown>) => value as QueryDeepPartialEntity<Record<string, unknown>>;

const FIELDS = Object.keys(WRITABLE_ADDRESS_FIELDS) as (keyof AddressFields)[];
/** Fields that make two addresses "the same place" (label and metadata do not). */
const IDENTITY = FIELDS.filter((f) => f !== 'label');
const CASE_INSENSITIVE = new Set<keyof AddressFields>(['firstName', 'lastName', 'company', 'addressLine1', 'addressLine2', 'city', 'stateProvince']);

/**
 * The per-customer list statement for one property list, built once per query shape. SQL rather
 * than the QueryBuilder: it is the benchmarked read (a page of customers with their addresses,
 * `_entities`), it selects only the properties the operation reads, and IdLookups runs its one
 * text for the concurrent requests that want the same properties.
 */
const listStatements = new Map<string, string>();
function liveOfCustomers(properties: string): string {
  let sql = listStatements.get(properties);
  if (sql === undefined) {
    sql = `SELECT ${addressColumns(properties)} FROM customer_addresses a
            WHERE a.customer_id = ANY($1::uuid[]) AND a.deleted_at IS NULL ORDER BY ${ADDRESS_ORDER}`;
    listStatements.set(properties, sql);
  }
  return sql;
}

export interface NewAddressRow extends ValidAddressFields {
  customerId: string;
  type: AddressType;
  isDefault: boolean;
  metadata: Record<string, unknown>;
}

/** An address as the data export shows it: the record and, for a deleted one, when. */
export type AddressExportRow = AddressRecord & { deletedAt: Date | null };

/**
 * `customer_addresses`: the only code that reads or writes it. Addresses are soft-deleted
 * (`deleted_at`); every read but the export's answers live ones. The default-address rules and
 * the customer's row lock they run under are the service's (address.service.ts); each method
 * here takes the database or the unit of work's transaction (`Queryable`) and sends one statement.
 */
export class AddressRepository {
  /**
   * The live addresses of many customers, defaults first, then newest, with only the properties
   * `properties` names (addressProperties; the rows are not whole records), grouped by customer.
   * The statement is shared with concurrent requests wanting the same properties (IdLookups):
   * rows and lists are frozen.
   */
  liveByCustomers(lookups: IdLookups, properties: string, customerIds: readonly string[]): Promise<ReadonlyMap<string, readonly AddressRecord[]>> {
    return lookups.byKey<AddressRecord>(liveOfCustomers(properties), customerIds, 'customerId');
  }

  /** Live addresses by id. `= ANY(:ids)`: one statement text whatever the number of ids. */
  async liveByIds(q: Queryable, ids: readonly string[]): Promise<AddressRecord[]> {
    const rows = await q.manager
      .createQueryBuilder(CustomerAddressEntity, 'a')
      .select(SELECT)
      .where('a.id = ANY(:ids::uuid[])', { ids })
      .andWhere('a.deletedAt IS NULL')
      .getMany();
    return rows.map(asRecord);
  }

  /** The live address; with `customerId`, only if it is that customer's. */
  async findLive(q: Queryable, id: string, customerId?: string): Promise<AddressRecord | null> {
    const query = q.manager.createQueryBuilder(CustomerAddressEntity, 'a').select(SELECT).where('a.id = :id', { id }).andWhere('a.deletedAt IS NULL');
    if (customerId !== undefined) query.andWhere('a.customerId = :customerId', { customerId });
    const row = await query.getOne();
    return row && asRecord(row);
  }

  /** The customer's oldest live address of this type at the same place (case-insensitive names and streets; label and metadata aside). */
  async findSame(q: Queryable, customerId: string, type: AddressType, fields: AddressFields): Promise<AddressRecord | null> {
    const query = q.manager
      .createQueryBuilder(CustomerAddressEntity, 'a')
      .select(SELECT)
      .where('a.customerId = :customerId AND a.type = :type AND a.deletedAt IS NULL', { customerId, type });
    for (const f of IDENTITY) {
      const column = `a.${f}`;
      query.andWhere(CASE_INSENSITIVE.has(f) ? `lower(${column}) IS NOT DISTINCT FROM lower(:${f})` : `${column} IS NOT DISTINCT FROM :${f}`, {
        [f]: fields[f],
      });
    }
    const row = await query.orderBy('a.createdAt').limit(1).getOne();
    return row && asRecord(row);
  }

  /** How many live addresses the customer has, and whether one of this type is a default. */
  async countLive(q: Queryable, customerId: string, type: AddressType): Promise<{ n: number; hasDefault: boolean }> {
    const row = await q.manager
      .createQueryBuilder(CustomerAddressEntity, 'a')
      .select('count(*)::int', 'n')
      .addSelect('coalesce(bool_or(a.is_default AND a.type = :type), FALSE)', 'hasDefault')
      .where('a.customer_id = :customerId AND a.deleted_at IS NULL', { customerId, type })
      .getRawOne<{ n: number; hasDefault: boolean }>();
    return row ?? { n: 0, hasDefault: false };
  }

  /** The customer's live default of this type. */
  async currentDefault(q: Queryable, customerId: string, type: AddressType): Promise<AddressRecord | null> {
    const row = await q.manager
      .createQueryBuilder(CustomerAddressEntity, 'a')
      .select(SELECT)
      .where('a.customerId = :customerId AND a.type = :type AND a.isDefault AND a.deletedAt IS NULL', { customerId, type })
      .getOne();
    return row && asRecord(row);
  }

  /** No live address of this type is the customer's default any more. */
  async clearDefault(tx: Queryable, customerId: string, type: AddressType): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .update(CustomerAddressEntity)
      .set({ isDefault: false, updatedAt: () => 'now()' })
      .where('customer_id = :customerId AND type = :type AND is_default AND deleted_at IS NULL', { customerId, type })
      .execute();
  }

  async insert(tx: Queryable, address: NewAddressRow): Promise<AddressRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CustomerAddressEntity)
      .values({ ...address, metadata: jsonb(address.metadata) })
      .returning(RETURNING)
      .execute();
    return (res.raw as AddressRecord[])[0];
  }

  /** Writes every client field and the metadata. */
  async update(tx: Queryable, id: string, fields: ValidAddressFields, metadata: Record<string, unknown>): Promise<AddressRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerAddressEntity)
      .set({ ...fields, metadata: jsonb(metadata), updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .returning(RETURNING)
      .execute();
    return (res.raw as AddressRecord[])[0];
  }

  /** Soft delete: the row stays (until erasure), neither live nor a default. */
  async softDelete(tx: Queryable, id: string): Promise<void> {
    await tx.manager.update(CustomerAddressEntity, { id }, { deletedAt: () => 'now()', isDefault: false, updatedAt: () => 'now()' });
  }

  async makeDefault(tx: Queryable, id: string): Promise<AddressRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerAddressEntity)
      .set({ isDefault: true, updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .returning(RETURNING)
      .execute();
    return (res.raw as AddressRecord[])[0];
  }

  /** The newest live address of this type becomes the default (one statement); null when there is none. */
  async promoteNewest(tx: Queryable, customerId: string, type: AddressType): Promise<AddressRecord | null> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerAddressEntity)
      .set({ isDefault: true, updatedAt: () => 'now()' })
      .where(
        `id = (SELECT n.id FROM customer_addresses n
                WHERE n.customer_id = :customerId AND n.type = :type AND n.deleted_at IS NULL
                ORDER BY n.created_at DESC, n.id DESC LIMIT 1)`,
        { customerId, type },
      )
      .returning(RETURNING)
      .execute();
    return (res.raw as AddressRecord[])[0] ?? null;
  }

  /** GDPR erasure: every address goes, soft-deleted ones too (README, "What we keep and why"). */
  async erasePersonal(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.delete(CustomerAddressEntity, { customerId });
  }

  /** GDPR export: every address held, soft-deleted ones too, oldest first. */
  async exportPersonal(q: Queryable, customerId: string): Promise<AddressExportRow[]> {
    return selectRecord(q.manager.createQueryBuilder(CustomerAddressEntity, 'a'), EXPORT_COLUMN)
      .where('a.customer_id = :customerId', { customerId })
      .orderBy('a.created_at')
      .addOrderBy('a.id')
      .getRawMany<AddressExportRow>();
  }
}
