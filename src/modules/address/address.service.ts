import { AddressType } from '../../common/enums';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor, UnitOfWork } from '../../db/unit-of-work';
import { lockCustomer } from '../../db/locks';
import { DomainError } from '../../errors/domain-error';
import { ADDRESS_COLUMNS, AddressFields, AddressRecord, WRITABLE_ADDRESS_FIELDS } from './address.record';
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
  constructor(private readonly work: Transactor) {}

  async create(customerId: string, input: NewAddress, actor: Actor): Promise<AddressRecord> {
    const fields = normalizeAddress(pickFields(input));
    const type = input.type ?? AddressType.SHIPPING;
    const metadata = input.metadata == null ? {} : jsonObject('input.metadata', input.metadata);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const existing = await this.findSame(tx, customerId, type, fields);
      if (existing) {
        // Creating an address the customer already has returns it instead of a copy.
        return input.isDefault && !existing.isDefault ? this.makeDefault(w, existing) : existing;
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
      const previous = isDefault && hasDefault ? await currentDefault(tx, customerId, type) : undefined;
      if (previous) await clearDefault(tx, customerId, type);
      const values = FIELDS.map((f) => fields[f]);
      const [row] = await tx.query<AddressRecord>(
        `INSERT INTO customer_addresses AS a (customer_id, type, is_default, metadata, ${FIELDS.map((f) => WRITABLE_ADDRESS_FIELDS[f]).join(', ')})
         VALUES ($1, $2, $3, $4, ${FIELDS.map((_, i) => `$${i + 5}`).join(', ')})
         RETURNING ${ADDRESS_COLUMNS}`,
        [customerId, type, isDefault, JSON.stringify(metadata), ...values],
      );
      const { newValues } = changedValues({} as AddressRecord, row, AUDITED);
      w.audit({ eventType: 'customer.address.create', customerId, resourceId: row.id, operation: 'create', newValues });
      w.emit({ type: 'customer.address.created', customerId, data: { customerId, addressId: row.id, type, isDefault } });
      if (isDefault) recordDefaultChange(w, row, previous);
      return row;
    });
  }

  /** Absent fields stay; the result is validated as a whole (a new country re-checks the postal code). */
  async update(id: string, change: AddressChange, actor: Actor): Promise<AddressRecord> {
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
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
      const diff = changedValues(current, row, AUDITED);
      if (diff.changed.length) {
        w.audit({ eventType: 'customer.address.update', customerId: row.customerId, resourceId: id, operation: 'update', ...diff });
        w.emit({
          type: 'customer.address.updated',
          customerId: row.customerId,
          data: { customerId: row.customerId, addressId: id, changedFields: diff.changed },
        });
        if (row.type === AddressType.SHIPPING && row.isDefault) w.segmentsMayChange(row.customerId);
      }
      return row;
    });
  }

  /**
   * Soft delete. When the address was a default, the newest other live address of its type
   * becomes the default in the same transaction; with none left, there is no default.
   */
  async delete(id: string, actor: Actor): Promise<boolean> {
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      const current = await this.lockAddress(tx, id);
      const { customerId } = current;
      await tx.query('UPDATE customer_addresses SET deleted_at = now(), is_default = FALSE, updated_at = now() WHERE id = $1', [id]);
      w.audit({ eventType: 'customer.address.delete', customerId, resourceId: id, operation: 'delete', oldValues: { isDefault: current.isDefault } });
      w.emit({ type: 'customer.address.deleted', customerId, data: { customerId, addressId: id, type: current.type } });
      if (current.isDefault) {
        const [promoted] = await tx.query<AddressRecord>(
          `UPDATE customer_addresses AS a SET is_default = TRUE, updated_at = now()
            WHERE a.id = (SELECT id FROM customer_addresses
                           WHERE customer_id = $1 AND type = $2 AND deleted_at IS NULL
                           ORDER BY created_at DESC, id DESC LIMIT 1)
            RETURNING ${ADDRESS_COLUMNS}`,
          [customerId, current.type],
        );
        recordDefaultChange(w, promoted ?? null, current);
      }
      return true;
    });
  }

  async setDefault(customerId: string, addressId: string, actor: Actor): Promise<AddressRecord> {
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const [address] = isUuid(addressId)
        ? await tx.query<AddressRecord>(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a WHERE a.id = $1 AND a.customer_id = $2 AND a.deleted_at IS NULL`, [
            addressId,
            customerId,
          ])
        : [];
      if (!address) throw DomainError.notFound('Address');
      return address.isDefault ? address : this.makeDefault(w, address);
    });
  }

  private async makeDefault(w: UnitOfWork, address: AddressRecord): Promise<AddressRecord> {
    const previous = await currentDefault(w.tx, address.customerId, address.type);
    await clearDefault(w.tx, address.customerId, address.type);
    const [row] = await w.tx.query<AddressRecord>(
      `UPDATE customer_addresses AS a SET is_default = TRUE, updated_at = now() WHERE a.id = $1 RETURNING ${ADDRESS_COLUMNS}`,
      [address.id],
    );
    recordDefaultChange(w, row, previous);
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

/** Address fields whose changes are audited. */
const AUDITED: (keyof AddressRecord & string)[] = [...FIELDS, 'type', 'isDefault', 'metadata'];

/** One audit row and one event when the default of a type moves (or disappears). */
function recordDefaultChange(w: UnitOfWork, next: AddressRecord | null, previous?: AddressRecord): void {
  const customerId = next?.customerId ?? previous!.customerId;
  const type = next?.type ?? previous!.type;
  w.audit({
    eventType: 'customer.address.default_changed',
    customerId,
    resourceId: next?.id ?? previous?.id ?? null,
    operation: 'update',
    oldValues: { defaultAddressId: previous?.id ?? null, type },
    newValues: { defaultAddressId: next?.id ?? null, type },
  });
  w.emit({
    type: 'customer.address.default_changed',
    customerId,
    data: { customerId, type, from: previous?.id ?? null, to: next?.id ?? null },
  });
  // COUNTRY_CODE rules read the default shipping address.
  if (type === AddressType.SHIPPING) w.segmentsMayChange(customerId);
}

async function currentDefault(tx: Queryable, customerId: string, type: AddressType): Promise<AddressRecord | undefined> {
  const [row] = await tx.query<AddressRecord>(
    `SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a WHERE a.customer_id = $1 AND a.type = $2 AND a.is_default AND a.deleted_at IS NULL`,
    [customerId, type],
  );
  return row;
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
