import { AddressType } from '../../common/enums';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor, UnitOfWork } from '../../application/unit-of-work';
import { lockCustomer } from '../../db/locks';
import { DomainError } from '../../errors/domain-error';
import { AddressFields, AddressRecord, WRITABLE_ADDRESS_FIELDS } from './address.record';
import { AddressRepository } from './address.repository';
import { MAX_LIVE_ADDRESSES, normalizeAddress } from './address.rules';

export type NewAddress = Partial<AddressFields> & {
  type?: AddressType | null;
  isDefault?: boolean | null;
  metadata?: Record<string, unknown> | null;
};
export type AddressChange = Partial<AddressFields> & { metadata?: Record<string, unknown> | null };

const FIELDS = Object.keys(WRITABLE_ADDRESS_FIELDS) as (keyof AddressFields)[];

/**
 * Customer addresses. Every change runs in one transaction holding the customer's row lock,
 * so the default of each type moves atomically and concurrent calls queue instead of racing;
 * the partial unique index uq_addresses_one_default backs this up in the database.
 */
export class AddressService {
  constructor(
    private readonly work: Transactor,
    private readonly addresses = new AddressRepository(),
  ) {}

  async create(customerId: string, input: NewAddress, actor: Actor): Promise<AddressRecord> {
    const fields = normalizeAddress(pickFields(input));
    const type = input.type ?? AddressType.SHIPPING;
    const metadata = input.metadata == null ? {} : jsonObject('input.metadata', input.metadata);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const existing = await this.addresses.findSame(tx, customerId, type, fields);
      if (existing) {
        // Creating an address the customer already has returns it instead of a copy.
        return input.isDefault && !existing.isDefault ? this.makeDefault(w, existing) : existing;
      }
      const { n, hasDefault } = await this.addresses.countLive(tx, customerId, type);
      if (n >= MAX_LIVE_ADDRESSES) {
        throw DomainError.badInput('customerId', `a customer can have at most ${MAX_LIVE_ADDRESSES} addresses; delete one first`);
      }
      // The first live address of a type becomes its default.
      const isDefault = Boolean(input.isDefault) || !hasDefault;
      const previous = isDefault && hasDefault ? ((await this.addresses.currentDefault(tx, customerId, type)) ?? undefined) : undefined;
      if (previous) await this.addresses.clearDefault(tx, customerId, type);
      const row = await this.addresses.insert(tx, { ...fields, customerId, type, isDefault, metadata });
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
      const row = await this.addresses.update(tx, id, fields, metadata);
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
      await this.addresses.softDelete(tx, id);
      w.audit({ eventType: 'customer.address.delete', customerId, resourceId: id, operation: 'delete', oldValues: { isDefault: current.isDefault } });
      w.emit({ type: 'customer.address.deleted', customerId, data: { customerId, addressId: id, type: current.type } });
      if (current.isDefault) {
        const promoted = await this.addresses.promoteNewest(tx, customerId, current.type);
        recordDefaultChange(w, promoted, current);
      }
      return true;
    });
  }

  async setDefault(customerId: string, addressId: string, actor: Actor): Promise<AddressRecord> {
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const address = isUuid(addressId) ? await this.addresses.findLive(tx, addressId, customerId) : null;
      if (!address) throw DomainError.notFound('Address');
      return address.isDefault ? address : this.makeDefault(w, address);
    });
  }

  private async makeDefault(w: UnitOfWork, address: AddressRecord): Promise<AddressRecord> {
    const previous = (await this.addresses.currentDefault(w.tx, address.customerId, address.type)) ?? undefined;
    await this.addresses.clearDefault(w.tx, address.customerId, address.type);
    const row = await this.addresses.makeDefault(w.tx, address.id);
    recordDefaultChange(w, row, previous);
    return row;
  }

  /** The live address, with its customer locked (callers have checked ownership already). */
  private async lockAddress(tx: Queryable, id: string): Promise<AddressRecord> {
    const find = async () => (isUuid(id) ? this.addresses.findLive(tx, id) : null);
    const before = await find();
    if (!before) throw DomainError.notFound('Address');
    await lockCustomer(tx, before.customerId);
    // Read again under the lock: a concurrent delete or default change may have committed.
    const current = await find();
    if (!current) throw DomainError.notFound('Address');
    return current;
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

function pickFields(source: Partial<AddressFields>): AddressFields {
  return Object.fromEntries(FIELDS.map((f) => [f, source[f] ?? null])) as AddressFields;
}

function definedFields(change: AddressChange): Partial<AddressFields> {
  return Object.fromEntries(FIELDS.filter((f) => change[f] !== undefined).map((f) => [f, change[f]])) as Partial<AddressFields>;
}
