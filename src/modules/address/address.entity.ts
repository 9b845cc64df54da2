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

export const ADDRESS_COLUMNS = selectList(ADDRESS_COLUMN);

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
