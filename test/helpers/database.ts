import { systemActor } from '../../src/auth/actor';
import { SessionStore } from '../../src/auth/sessions';
import { Transactor } from '../../src/application/unit-of-work';
import { runMigrations } from '../../src/db/migrate';
import { PostgresDatabase } from '../../src/db/postgres';
import { CustomerService, NewCustomer } from '../../src/modules/customer/customer.service';
import { createTestDatabase } from './server';

/**
 * A fresh, migrated database of its own for a repository test file (no app, no Redis): the
 * PostgreSQL data layer, a unit of work without a relay, and customers made by the customer
 * service (the public API), so tests need no SQL of their own.
 */
export interface RepositoryTestDatabase {
  db: PostgresDatabase;
  dsn: string;
  work: Transactor;
  /** New customers (each with their default preferences, audit row and outbox event); their ids. */
  customers(n: number): Promise<string[]>;
  /** One new customer with these profile fields (a unique email unless given); their id. */
  customer(input?: Partial<NewCustomer>): Promise<string>;
  /** The customer service on this database (creating, changing and listing customers). */
  customerService: CustomerService;
  close(): Promise<void>;
}

export async function repositoryTestDatabase(poolSize = 4): Promise<RepositoryTestDatabase> {
  const scratch = await createTestDatabase();
  const db = await PostgresDatabase.connect(scratch.dsn, poolSize);
  await runMigrations(db);
  const work = new Transactor(db);
  const service = new CustomerService(db, work, new SessionStore(db));
  let made = 0;
  const customer = async (input: Partial<NewCustomer> = {}) =>
    (await service.create({ email: `repo-${process.pid}-${++made}@example.com`, ...input }, systemActor('test'))).id;
  return {
    db,
    dsn: scratch.dsn,
    work,
    customerService: service,
    customer,
    async customers(n) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await customer());
      return ids;
    },
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}
