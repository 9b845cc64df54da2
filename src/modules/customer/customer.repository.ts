import type { Queryable } from '../../db/database';
import { CustomerEntity } from './customer.entity';
import { CUSTOMER_COLUMNS, type CustomerRecord } from './customer.record';

/**
 * `customers`: the only code that reads or writes it, locks included. Each method takes the
 * database or the unit of work's transaction (`Queryable`) and sends one statement.
 *
 * Being converted: the profile reads and writes still live in customer.service.ts (the
 * allowlist of test/repository-boundaries.test.ts says which).
 */
export class CustomerRepository {
  /** Live members per group, for the groups asked (absent: none). */
  async countLiveByGroup(q: Queryable, groupIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await q.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.group_id', 'groupId')
      .addSelect('count(*)::int', 'n')
      .where('c.group_id = ANY(:ids::uuid[])', { ids: groupIds })
      .andWhere('c.deleted_at IS NULL')
      .groupBy('c.group_id')
      .getRawMany<{ groupId: string; n: number }>();
    return new Map(rows.map((r) => [r.groupId, r.n]));
  }

  /** Moves every member of a group (erased ones too: the group is going away) to another; their ids. */
  async moveGroupMembers(tx: Queryable, from: string, to: string): Promise<string[]> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerEntity)
      .set({ groupId: to, updatedAt: () => 'now()' })
      .where('group_id = :from', { from })
      .returning('id')
      .execute();
    return (res.raw as { id: string }[]).map((r) => r.id);
  }

  // --- for sign-in, email verification and two-factor (modules/auth)

  /** The customer's record, erased or not. */
  async record(q: Queryable, id: string): Promise<CustomerRecord | null> {
    const row = await q.manager.createQueryBuilder(CustomerEntity, 'c').select(CUSTOMER_COLUMNS).where('c.id = :id', { id }).getRawOne<CustomerRecord>();
    return row ?? null;
  }

  /** The record of a live customer, with their row lock (FOR NO KEY UPDATE) until the transaction ends; null when erased or unknown. */
  async lockLiveRecord(tx: Queryable, id: string): Promise<CustomerRecord | null> {
    const row = await tx.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select(CUSTOMER_COLUMNS)
      .where('c.id = :id', { id })
      .andWhere('c.deleted_at IS NULL')
      .setLock('for_no_key_update')
      .getRawOne<CustomerRecord>();
    return row ?? null;
  }

  /**
   * The email and the two-factor flag of a live customer, with their row lock (FOR NO KEY
   * UPDATE) until the transaction ends; null when erased or unknown.
   */
  async lockLiveAccount(tx: Queryable, id: string): Promise<{ email: string; twoFactorEnabled: boolean } | null> {
    const row = await tx.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.email', 'email')
      .addSelect('c.twoFactorEnabled', 'twoFactorEnabled')
      .where('c.id = :id', { id })
      .andWhere('c.deleted_at IS NULL')
      .setLock('for_no_key_update')
      .getRawOne<{ email: string; twoFactorEnabled: boolean }>();
    return row ?? null;
  }

  /**
   * Whether the customer is live, holding a key-share lock on their row (an erasure waits for
   * the transaction; others asking the same do not queue). Asked for no customer too (`null`:
   * false), with the same statement.
   */
  async shareLive(tx: Queryable, id: string | null): Promise<boolean> {
    const row = await tx.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('1', 'live')
      .where('c.id = :id', { id })
      .andWhere('c.deleted_at IS NULL')
      .setLock('for_key_share')
      .getRawOne();
    return row !== undefined;
  }

  /** A live customer who may sign in (not suspended), by lower-cased email. */
  async findActiveByEmail(q: Queryable, email: string): Promise<{ id: string; email: string } | null> {
    const row = await q.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.id', 'id')
      .addSelect('c.email', 'email')
      .where('lower(c.email) = :email', { email })
      .andWhere('c.deleted_at IS NULL')
      .andWhere("c.status <> 'SUSPENDED'")
      .getRawOne<{ id: string; email: string }>();
    return row ?? null;
  }

  /**
   * The email is verified; answers the record as updated. SQL: the record's column list
   * (CUSTOMER_COLUMNS) names the table by its alias `c`, which TypeORM's UPDATE does not give it.
   */
  async markEmailVerified(tx: Queryable, id: string): Promise<CustomerRecord> {
    // manager.query answers an UPDATE as [rows, rowCount] (TypeORM's postgres driver).
    const [[row]] = await tx.manager.query<[CustomerRecord[], number]>(
      `UPDATE customers AS c SET email_verified = true, updated_at = now() WHERE c.id = $1 RETURNING ${CUSTOMER_COLUMNS}`,
      [id],
    );
    return row;
  }

  async setTwoFactorEnabled(tx: Queryable, id: string, on: boolean): Promise<void> {
    await tx.manager.update(CustomerEntity, { id }, { twoFactorEnabled: on, updatedAt: () => 'now()' });
  }
}
