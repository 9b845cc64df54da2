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

export const CUSTOMER_COLUMNS = `c.id, c.email, c.first_name AS "firstName", c.last_name AS "lastName", c.phone,
  c.date_of_birth AS "dateOfBirth", c.gender, c.customer_type AS "customerType", c.status,
  c.email_verified AS "emailVerified", c.two_factor_enabled AS "twoFactorEnabled",
  c.registration_source AS "registrationSource", c.metadata, c.group_id AS "groupId",
  c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;
