import { ColumnMap, selectList } from '../../db/columns';
import { returningList } from '../../db/select-record';
import type { AddressRecord } from '../address/address.record';
import type { GroupRecord } from '../group/group.record';
import type { PreferencesRecord } from '../preference/preference.record';
import type { CustomerStatus, CustomerType, Gender, RegistrationSource } from '../../common/enums';

/**
 * A customers row as the services select it: public columns only. Secrets (password hash,
 * TOTP secret) live in their own tables and are never selected with a customer.
 */
export interface CustomerRecord {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  dateOfBirth: string | null;
  gender: Gender | null;
  customerType: CustomerType;
  status: CustomerStatus;
  emailVerified: boolean;
  twoFactorEnabled: boolean;
  registrationSource: RegistrationSource | null;
  metadata: Record<string, unknown>;
  groupId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Prefetched by a list query that joined them (see CustomerService.list); else loaded on demand. */
  group?: GroupRecord | null;
  preferences?: PreferencesRecord | null;
  /** Attached for a whole list of customers at once, only where the viewer may read them (see attachAddresses). */
  addresses?: readonly AddressRecord[];
}

/** Column expression per CustomerRecord property (fixed SQL, never built from client input). */
type CustomerColumns = Omit<CustomerRecord, 'group' | 'preferences' | 'addresses'>;

const COLUMN: ColumnMap<CustomerColumns> = {
  id: 'c.id',
  email: 'c.email',
  firstName: 'c.first_name',
  lastName: 'c.last_name',
  phone: 'c.phone',
  dateOfBirth: 'c.date_of_birth',
  gender: 'c.gender',
  customerType: 'c.customer_type',
  status: 'c.status',
  emailVerified: 'c.email_verified',
  twoFactorEnabled: 'c.two_factor_enabled',
  registrationSource: 'c.registration_source',
  metadata: 'c.metadata',
  groupId: 'c.group_id',
  createdAt: 'c.created_at',
  updatedAt: 'c.updated_at',
};
const ALL = Object.keys(COLUMN) as (keyof CustomerColumns)[];

export const CUSTOMER_COLUMNS = selectList(COLUMN);
/** The same list without the table alias: for RETURNING of TypeORM's INSERT and UPDATE, which name no alias. */
export const CUSTOMER_RETURNING = returningList(COLUMN, 'c');

/** GraphQL fields computed from other columns. */
const DERIVED: Record<string, (keyof CustomerColumns)[]> = {
  displayName: ['firstName', 'lastName', 'email'],
  group: ['groupId'],
};

/**
 * The properties a selection of Customer fields needs (always the id, which every fan-out
 * field resolves through). Returned in a fixed order so equal selections share a loader batch.
 */
export function customerProperties(fields: ReadonlySet<string> | null): (keyof CustomerColumns)[] {
  if (!fields) return ALL;
  const wanted = new Set<keyof CustomerColumns>(['id']);
  for (const f of fields) {
    if (f in COLUMN) wanted.add(f as keyof CustomerColumns);
    for (const d of DERIVED[f] ?? []) wanted.add(d);
  }
  return ALL.filter((k) => wanted.has(k));
}

export function customerColumns(properties: readonly (keyof CustomerColumns)[]): string {
  return selectList(COLUMN, properties);
}
