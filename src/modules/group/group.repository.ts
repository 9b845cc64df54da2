import type { Queryable } from '../../db/database';
import { CustomerGroupEntity } from './group.entity';
import type { GroupRecord } from './group.record';

/** What a GroupRecord reads of the entity. */
const RECORD = ['id', 'code', 'name', 'description', 'isDefault', 'createdAt'] as const satisfies readonly (keyof CustomerGroupEntity)[];
const SELECT = Object.fromEntries(RECORD.map((p) => [p, true])) as Record<(typeof RECORD)[number], true>;
/** The same, as a RETURNING list (written rows come back as records in the same statement). */
const RETURNING = 'id, code, name, description, is_default AS "isDefault", created_at AS "createdAt"';

// Moving the default takes this lock first, so two concurrent "make X default" calls queue up
// instead of one failing on the one-default unique index. An advisory lock has no entity API:
// `manager.query`.
const DEFAULT_GROUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('customer_groups:default'))";

export interface GroupValues {
  code: string;
  name: string;
  description: string | null;
  isDefault: boolean;
}

/**
 * `customer_groups`: the only code that reads or writes it (locks included). Each method takes
 * the database or the unit of work's transaction (`Queryable`), and sends one statement
 * unless it says otherwise.
 */
export class GroupRepository {
  list(q: Queryable): Promise<GroupRecord[]> {
    return q.manager.find(CustomerGroupEntity, { select: SELECT, order: { code: 'ASC' } });
  }

  /** `= ANY($1)` rather than `In()`: one statement text (one prepared statement) whatever the number of ids. */
  byIds(q: Queryable, ids: readonly string[]): Promise<GroupRecord[]> {
    return q.manager
      .createQueryBuilder(CustomerGroupEntity, 'g')
      .select(RECORD.map((p) => `g.${p}`))
      .where('g.id = ANY(:ids::uuid[])', { ids })
      .getMany();
  }

  async defaultId(q: Queryable): Promise<string | null> {
    const row = await q.manager.findOne(CustomerGroupEntity, { select: { id: true }, where: { isDefault: true } });
    return row?.id ?? null;
  }

  /** True when the group exists; holds a key-share lock on it (it cannot be deleted) until the transaction ends. */
  async lockExisting(tx: Queryable, id: string): Promise<boolean> {
    const row = await tx.manager.createQueryBuilder(CustomerGroupEntity, 'g').select('g.id').where('g.id = :id', { id }).setLock('for_key_share').getOne();
    return row !== null;
  }

  /** The default-group lock, then the group's row lock: two statements. */
  async lockForChange(tx: Queryable, id: string): Promise<GroupRecord | null> {
    await tx.manager.query(DEFAULT_GROUP_LOCK);
    return tx.manager.findOne(CustomerGroupEntity, { select: SELECT, where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** The default-group lock, then no group is the default: two statements. */
  async clearDefault(tx: Queryable): Promise<void> {
    await tx.manager.query(DEFAULT_GROUP_LOCK);
    await tx.manager.update(CustomerGroupEntity, { isDefault: true }, { isDefault: false, updatedAt: () => 'now()' });
  }

  async insert(tx: Queryable, g: GroupValues): Promise<GroupRecord> {
    const res = await tx.manager.createQueryBuilder().insert().into(CustomerGroupEntity).values(g).returning(RETURNING).execute();
    return (res.raw as GroupRecord[])[0];
  }

  async update(tx: Queryable, id: string, g: GroupValues): Promise<GroupRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerGroupEntity)
      .set({ ...g, updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .returning(RETURNING)
      .execute();
    return (res.raw as GroupRecord[])[0];
  }

  async delete(tx: Queryable, id: string): Promise<void> {
    await tx.manager.delete(CustomerGroupEntity, { id });
  }
}
