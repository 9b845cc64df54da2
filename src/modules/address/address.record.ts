import type { AddressType } from '../../common/enums';
import { ColumnMap, selectList } from '../../db/columns';

/** A live customer_addresses row as the services select it. */
export interface AddressRecord {
  id: string;
  customerId: string;
  type: AddressType;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  stateProvince: string | null;
  postalCode: string | null;
  countryCode: string;
  phone: string | null;
  label: string | null;
  isDefault: boolean;
  isVerified: boolean;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export const ADDRESS_COLUMN: ColumnMap<AddressRecord> = {
  id: 'a.id',
  customerId: 'a.customer_id',
  type: 'a.type',
  firstName: 'a.first_name',
  lastName: 'a.last_name',
  company: 'a.company',
  addressLine1: 'a.address_line_1',
  addressLine2: 'a.address_line_2',
  city: 'a.city',
  stateProvince: 'a.state_province',
  postalCode: 'a.postal_code',
  countryCode: 'a.country_code',
  phone: 'a.phone',
  label: 'a.label',
  isDefault: 'a.is_default',
  isVerified: 'a.is_verified',
  metadata: 'a.metadata',
  createdAt: 'a.created_at',
  updatedAt: 'a.updated_at',
};

const ALL = Object.keys(ADDRESS_COLUMN) as (keyof AddressRecord)[];
/** What the customer fields read of every address, whatever the client asked: grouping, `type`, defaults. */
const ALWAYS: ReadonlySet<keyof AddressRecord> = new Set(['id', 'customerId', 'type', 'isDefault']);

/**
 * The properties to select for a selection of CustomerAddress fields, comma-separated in a fixed
 * order (equal selections share a statement). Reading and parsing columns nobody asked for
 * (timestamps, the JSON metadata) was most of the cost of a page's addresses.
 */
export function addressProperties(fields: ReadonlySet<string>): string {
  let props = propsOf.get(fields);
  if (props === undefined) propsOf.set(fields, (props = ALL.filter((p) => ALWAYS.has(p) || fields.has(p)).join(',')));
  return props;
}

/** Selections are cached per operation (common/selection.ts): this runs once per query shape, not per customer. */
const propsOf = new WeakMap<ReadonlySet<string>, string>();

/** The select list for `addressProperties`' answer. */
export function addressColumns(properties: string): string {
  return selectList(ADDRESS_COLUMN, properties.split(',') as (keyof AddressRecord)[]);
}

/** "Defaults first, then newest first" (contract), as SQL. */
export const ADDRESS_ORDER = 'a.is_default DESC, a.created_at DESC, a.id DESC';

/** The fields a client sets; the columns they are written to. */
export const WRITABLE_ADDRESS_FIELDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  company: 'company',
  addressLine1: 'address_line_1',
  addressLine2: 'address_line_2',
  city: 'city',
  stateProvince: 'state_province',
  postalCode: 'postal_code',
  countryCode: 'country_code',
  phone: 'phone',
  label: 'label',
} as const;

export type AddressFields = { -readonly [K in keyof typeof WRITABLE_ADDRESS_FIELDS]: string | null };

/** Address fields that passed normalizeAddress: the required ones are set. */
export type ValidAddressFields = AddressFields & { addressLine1: string; city: string; countryCode: string };
