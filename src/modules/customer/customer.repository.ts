import type { Queryable } from '../../db/database';
import { CustomerEntity } from './customer.entity';

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

  /**
   * True when the customer is live; holds their row lock (FOR NO KEY UPDATE: foreign-key checks
   * from other tables are not blocked) until the transaction ends. Changes to a customer's own
   * rows (preferences, consents) take it first, so they queue behind one another and behind an
   * erasure, which marks the customer deleted under the same lock.
   */
  async lockLive(tx: Queryable, id: string): Promise<boolean> {
    const row = await tx.manager
      .createQueryBuilder(CustomerEntity, 'c')
      .select('c.id', 'id')
      .where('c.id = :id AND c.deletedAt IS NULL', { id })
      .setLock('for_no_key_update')
      .getRawOne<{ id: string }>();
    return row !== undefined;
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
}
