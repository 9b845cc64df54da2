import { AddressType } from '../../common/enums';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { Database, Queryable } from '../../db/database';
import { lockCustomer } from '../../db/locks';
import { DomainError } from '../../errors/domain-error';
import { ADDRESS_COLUMNS, AddressFields, AddressRecord, WRITABLE_ADDRESS_FIELDS } from './address.entity';
import { MAX_LIVE_ADDRESSES, normalizeAddress } from './address.rules';

export type NewAddress = Partial<AddressFields> & {
  type?: AddressType | null;
  isDefault?: boolean | null;
  metadata?: Record<string, unknown> | null;
};
export type AddressChange = Partial<AddressFields> & { metadata?: Record<string, unknown> | null };

const FIELDS = Object.keys(WRITABLE_ADDRESS_FIELDS) as (keyof AddressFields)[];
/** Fields that make two addresses "the same place" (label and metadata do not). */
const IDENTITY = FIELDS.filter((f) => f !== 'label');
const CASE_INSENSITIVE = new Set<keyof AddressFields>(['firstName', 'lastName', 'company', 'addressLine1', 'addressLine2', 'city', 'stateProvince']);

/**
 * Customer addresses. Every change runs in one transaction holding the customer's row lock,
 * so the default of each type moves atomically and concurrent calls queue instead of racing;
 * the partial unique index uq_addresses_one_default backs this up in the database.
 */
export class AddressService {
  constructor(private readonly db: Database) {}

  async create(customerId: string, input: NewAddress): Promise<AddressRecord> {
    const fields = normalizeAddress(pickFields(input));
    const type = input.type ?? AddressType.SHIPPING;
    const metadata = input.metadata == null ? {} : jsonObject('input.metadata', input.metadata);
    return this.db.transaction(async (tx) => {
      await lockCustomer(tx, customerId);
      const existing = await this.findSame(tx, customerId, type, fields);
      if (existing) {
        // Creating an address the customer already has returns it instead of a copy.
        return input.isDefault && !existing.isDefault ? this.makeDefault(tx, existing) : existing;
      }
      const [{ n, hasDefault }] = await tx.query<{ n: number; hasDefault: boolean }>(
        `SELECT count(*)::int AS n, coalesce(bool_or(is_default AND type = $2), FALSE) AS "hasDefault"
           FROM customer_addresses WHERE customer_id = $1 AND deleted_at IS NULL`,
        [customerId, type],
      );
      if (n >= MAX_LIVE_ADDRESSES) {
        throw DomainError.badInput('customerId', `a customer can have at most ${MAX_LIVE_ADDRESSES} addresses; delete one first`);
      }
      // The first live address of a type becomes its default.
      const isDefault = Boolean(input.isDefault) || !hasDefault;
      if (isDefault && hasDefault) await clearDefault(tx, customerId, type);
      const values = FIELDS.map((f) => fields[f]);
      const [row] = await tx.query<AddressRecord>(
        `INSERT INTO customer_addresses AS a (customer_id, type, is_default, metadata, ${FIELDS.map((f) => WRITABLE_ADDRESS_FIELDS[f]).join(', ')})
         VALUES ($1, $2, $3, $4, ${FIELDS.map((_, i) => `$${i + 5}`).join(', ')})
         RETURNING ${ADDRESS_COLUMNS}`,
        [customerId, type, isDefault, JSON.stringify(metadata), ...values],
      );
      return row;
    });
  }

  /** Absent fields stay; the result is validated as a whole (a new country re-checks the postal code). */
  async update(id: string, change: AddressChange): Promise<AddressRecord> {
    return this.db.transaction(async (tx) => {
      const current = await this.lockAddress(tx, id);
      const merged = { ...pickFields(current), ...definedFields(change) };
      const fields = normalizeAddress(merged);
      const metadata = change.metadata === undefined ? current.metadata : change.metadata === null ? {} : jsonObject('input.metadata', change.metadata);
      const [row] = await tx.query<AddressRecord>(
        `UPDATE customer_addresses AS a SET ${FIELDS.map((f, i) => `${WRITABLE_ADDRESS_FIELDS[f]} = $${i + 3}`).join(', ')},
                metadata = $2, updated_at = now()
          WHERE a.id = $1 RETURNING ${ADDRESS_COLUMNS}`,
        [id, JSON.stringify(metadata), ...FIELDS.map((f) => fields[f])],
      );
      return row;
    });
  }

  /**
   * Soft delete. When the address was a default, the newest other live address of its type
   * becomes the default in the same transaction; with none left, there is no default.
   */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const current = await this.lockAddress(tx, id);
      await tx.query('UPDATE customer_addresses SET deleted_at = now(), is_default = FALSE, updated_at = now() WHERE id = $1', [id]);
      if (current.isDefault) {
        await tx.query(
          `UPDATE customer_addresses SET is_default = TRUE, updated_at = now()
            WHERE id = (SELECT id FROM customer_addresses
                         WHERE customer_id = $1 AND type = $2 AND deleted_at IS NULL
                         ORDER BY created_at DESC, id DESC LIMIT 1)`,
          [current.customerId, current.type],
        );
      }
      return true;
    });
  }

  async setDefault(customerId: string, addressId: string): Promise<AddressRecord> {
    return this.db.transaction(async (tx) => {
      await lockCustomer(tx, customerId);
      const [address] = isUuid(addressId)
        ? await tx.query<AddressRecord>(
            `SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a WHERE a.id = $1 AND a.customer_id = $2 AND a.deleted_at IS NULL`,
            [addressId, customerId],
          )
        : [];
      if (!address) throw DomainError.notFound('Address');
      return address.isDefault ? address : this.makeDefault(tx, address);
    });
  }

  private async makeDefault(tx: Queryable, address: AddressRecord): Promise<AddressRecord> {
    await clearDefault(tx, address.customerId, address.type);
    const [row] = await tx.query<AddressRecord>(
      `UPDATE customer_addresses AS a SET is_default = TRUE, updated_at = now() WHERE a.id = $1 RETURNING ${ADDRESS_COLUMNS}`,
      [address.id],
    );
    return row;
  }

  /** The live address, with its customer locked (callers have checked ownership already). */
  private async lockAddress(tx: Queryable, id: string): Promise<AddressRecord> {
    const find = async () =>
      isUuid(id)
        ? (await tx.query<AddressRecord>(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a WHERE a.id = $1 AND a.deleted_at IS NULL`, [id]))[0]
        : undefined;
    const before = await find();
    if (!before) throw DomainError.notFound('Address');
    await lockCustomer(tx, before.customerId);
    // Read again under the lock: a concurrent delete or default change may have committed.
    const current = await find();
    if (!current) throw DomainError.notFound('Address');
    return current;
  }

  private async findSame(tx: Queryable, customerId: string, type: AddressType, fields: AddressFields): Promise<AddressRecord | undefined> {
    const conditions = IDENTITY.map((f, i) => {
      const column = `a.${WRITABLE_ADDRESS_FIELDS[f]}`;
      return CASE_INSENSITIVE.has(f) ? `lower(${column}) IS NOT DISTINCT FROM lower($${i + 3})` : `${column} IS NOT DISTINCT FROM $${i + 3}`;
    });
    const [row] = await tx.query<AddressRecord>(
      `SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a
        WHERE a.customer_id = $1 AND a.type = $2 AND a.deleted_at IS NULL AND ${conditions.join(' AND ')}
        ORDER BY a.created_at LIMIT 1`,
      [customerId, type, ...IDENTITY.map((f) => fields[f])],
    );
    return row;
  }
}

async function clearDefault(tx: Queryable, customerId: string, type: AddressType): Promise<void> {
  await tx.query(
    `UPDATE customer_addresses SET is_default = FALSE, updated_at = now()
      WHERE customer_id = $1 AND type = $2 AND is_default AND deleted_at IS NULL`,
    [customerId, type],
  );
}

function pickFields(source: Partial<AddressFields>): AddressFields {
  return Object.fromEntries(FIELDS.map((f) => [f, source[f] ?? null])) as AddressFields;
}

function definedFields(change: AddressChange): Partial<AddressFields> {
  return Object.fromEntries(FIELDS.filter((f) => change[f] !== undefined).map((f) => [f, change[f]])) as Partial<AddressFields>;
}
