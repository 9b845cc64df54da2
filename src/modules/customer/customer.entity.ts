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
}

/** Column expression per CustomerRecord property (fixed SQL, never built from client input). */
const COLUMN: Record<keyof CustomerRecord, string> = {
  id: 'c.id',
  email: 'c.email',
  firstName: 'c.first_name AS "firstName"',
  lastName: 'c.last_name AS "lastName"',
  phone: 'c.phone',
  dateOfBirth: 'c.date_of_birth AS "dateOfBirth"',
  gender: 'c.gender',
  customerType: 'c.customer_type AS "customerType"',
  status: 'c.status',
  emailVerified: 'c.email_verified AS "emailVerified"',
  twoFactorEnabled: 'c.two_factor_enabled AS "twoFactorEnabled"',
  registrationSource: 'c.registration_source AS "registrationSource"',
  metadata: 'c.metadata',
  groupId: 'c.group_id AS "groupId"',
  createdAt: 'c.created_at AS "createdAt"',
  updatedAt: 'c.updated_at AS "updatedAt"',
};
const ALL = Object.keys(COLUMN) as (keyof CustomerRecord)[];

export const CUSTOMER_COLUMNS = ALL.map((k) => COLUMN[k]).join(', ');

/** GraphQL fields computed from other columns. */
const DERIVED: Record<string, (keyof CustomerRecord)[]> = {
  displayName: ['firstName', 'lastName', 'email'],
  group: ['groupId'],
};

/**
 * The properties a selection of Customer fields needs (always the id, which every fan-out
 * field resolves through). Returned in a fixed order so equal selections share a loader batch.
 */
export function customerProperties(fields: ReadonlySet<string> | null): (keyof CustomerRecord)[] {
  if (!fields) return ALL;
  const wanted = new Set<keyof CustomerRecord>(['id']);
  for (const f of fields) {
    if (f in COLUMN) wanted.add(f as keyof CustomerRecord);
    for (const d of DERIVED[f] ?? []) wanted.add(d);
  }
  return ALL.filter((k) => wanted.has(k));
}

export function customerColumns(properties: readonly (keyof CustomerRecord)[]): string {
  return properties.map((k) => COLUMN[k]).join(', ');
}
