import { randomUUID } from 'node:crypto';
import { AddressType } from '../../src/common/enums';
import { loadConfig } from '../../src/config/config';
import type { Database } from '../../src/db/database';
import { runMigrations } from '../../src/db/migrate';
import { PostgresDatabase } from '../../src/db/postgres';
import type { AddressRecord } from '../../src/modules/address/address.record';
import { AddressRepository, NewAddressRow } from '../../src/modules/address/address.repository';
import { CustomerEntity } from '../../src/modules/customer/customer.entity';
import { CustomerPreferencesEntity } from '../../src/modules/preference/preference.entity';
import { createTestDatabase, TEST_JWT_SECRET } from './server';

// Rows for repository tests, built through the entities and the repositories (no SQL here):
// each factory takes what the test cares about and fills in the rest.

/** A fresh, migrated database of its own for one test file (no service around it). */
export async function openRepositoryDatabase(): Promise<{ db: PostgresDatabase; close: () => Promise<void> }> {
  const database = await createTestDatabase();
  const config = loadConfig({ CUSTOMER_DATABASE_DSN: database.dsn, CUSTOMER_JWT_SECRET: TEST_JWT_SECRET, CUSTOMER_LOG_LEVEL: 'silent' });
  const db = await PostgresDatabase.connect(database.dsn, 4, config.dbTimeouts);
  await runMigrations(db);
  return {
    db,
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
}

export type CustomerOverrides = Partial<Pick<CustomerEntity, 'email' | 'firstName' | 'lastName' | 'phone' | 'status' | 'groupId' | 'deletedAt'>> & {
  /** Also the customer's preferences row (all defaults), as the service creates one with every customer. Default true. */
  withPreferences?: boolean;
};

/** A live customer (no group unless given), with their default preferences row. */
export async function createCustomer(db: Database, overrides: CustomerOverrides = {}): Promise<CustomerEntity> {
  const { withPreferences = true, ...values } = overrides;
  const { identifiers } = await db.manager.insert(CustomerEntity, {
    email: `factory.${randomUUID().slice(0, 8)}@example.com`,
    firstName: 'Fac',
    lastName: 'Tory',
    ...values,
  });
  const id = identifiers[0].id as string;
  if (withPreferences) await db.manager.insert(CustomerPreferencesEntity, { customerId: id });
  return db.manager.findOneByOrFail(CustomerEntity, { id });
}

/** A live address (SHIPPING, not the default, in Rotterdam unless told otherwise), inserted by the repository. */
export async function createAddress(db: Database, customerId: string, overrides: Partial<NewAddressRow> = {}): Promise<AddressRecord> {
  const row: NewAddressRow = {
    customerId,
    type: AddressType.SHIPPING,
    isDefault: false,
    metadata: {},
    firstName: null,
    lastName: null,
    company: null,
    addressLine1: `${Math.floor(Math.random() * 900) + 1} Harbour Road`,
    addressLine2: null,
    city: 'Rotterdam',
    stateProvince: null,
    postalCode: '3011 AA',
    countryCode: 'NL',
    phone: null,
    label: null,
    ...overrides,
  };
  return db.transaction((tx) => new AddressRepository().insert(tx, row));
}
