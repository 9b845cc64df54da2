import { isUuid } from '../../common/ids';
import type { Database, Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor } from '../../db/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { GROUP_COLUMNS, GroupRecord } from './group.record';

export interface GroupInput {
  code: string;
  name: string;
  description?: string | null;
  isDefault?: boolean | null;
}

// Moving the default takes this lock first, so two concurrent "make X default" calls queue
// up instead of one failing on the one-default unique index.
const DEFAULT_GROUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('customer_groups:default'))";

/** Customer groups (B2C, B2B, ...). Exactly one group is the default that new customers join. */
export class GroupService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
  ) {}

  list(): Promise<GroupRecord[]> {
    return this.db.query<GroupRecord>(`SELECT ${GROUP_COLUMNS} FROM customer_groups g ORDER BY g.code`);
  }

  /** The default group's id, read inside the caller's transaction. */
  static async defaultGroupId(tx: Queryable): Promise<string> {
    const [row] = await tx.query<{ id: string }>('SELECT id FROM customer_groups WHERE is_default');
    if (!row) throw new DomainError('INTERNAL_SERVER_ERROR', 'No default customer group is configured');
    return row.id;
  }

  async create(input: GroupInput, actor: Actor): Promise<GroupRecord> {
    const g = normalize(input);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      if (g.isDefault) await this.clearDefault(tx);
      const [row] = await this.guardCode(() =>
        tx.query<GroupRecord>(
          `INSERT INTO customer_groups AS g (code, name, description, is_default) VALUES ($1, $2, $3, $4)
           RETURNING ${GROUP_COLUMNS}`,
          [g.code, g.name, g.description, g.isDefault],
        ),
      );
      w.audit({ eventType: 'customer.group.create', customerId: null, resourceId: row.id, operation: 'create', newValues: g });
      return row;
    });
  }

  async update(id: string, input: GroupInput, actor: Actor): Promise<GroupRecord> {
    const g = normalize(input);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      const current = await this.lockGroup(tx, id);
      if (current.isDefault && !g.isDefault) {
        throw DomainError.badInput('input.isDefault', 'there must always be a default group; make another group the default instead');
      }
      if (g.isDefault && !current.isDefault) await this.clearDefault(tx);
      const [row] = await this.guardCode(() =>
        tx.query<GroupRecord>(
          `UPDATE customer_groups AS g SET code = $2, name = $3, description = $4, is_default = $5, updated_at = now()
            WHERE g.id = $1 RETURNING ${GROUP_COLUMNS}`,
          [id, g.code, g.name, g.description, g.isDefault],
        ),
      );
      const diff = changedValues(current, row, ['code', 'name', 'description', 'isDefault']);
      if (diff.changed.length) w.audit({ eventType: 'customer.group.update', customerId: null, resourceId: id, operation: 'update', ...diff });
      return row;
    });
  }

  /** Members of a deleted group move to the default group in the same transaction. */
  async delete(id: string, actor: Actor): Promise<boolean> {
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      const current = await this.lockGroup(tx, id);
      if (current.isDefault) throw DomainError.badInput('id', 'the default group cannot be deleted; make another group the default first');
      const defaultId = await GroupService.defaultGroupId(tx);
      const moved = await tx.query<{ id: string }>('UPDATE customers SET group_id = $2, updated_at = now() WHERE group_id = $1 RETURNING id', [id, defaultId]);
      await tx.query('DELETE FROM customer_groups WHERE id = $1', [id]);
      w.audit({
        eventType: 'customer.group.delete',
        customerId: null,
        resourceId: id,
        operation: 'delete',
        oldValues: { code: current.code, name: current.name },
        metadata: { membersMovedTo: defaultId, membersMoved: moved.length },
      });
      // Each moved member changed group: one event per customer, as assignCustomerGroup would.
      for (const m of moved) w.emit({ type: 'customer.group_changed', customerId: m.id, data: { customerId: m.id, from: id, to: defaultId } });
      return true;
    });
  }

  private async lockGroup(tx: Queryable, id: string): Promise<GroupRecord> {
    if (!isUuid(id)) throw DomainError.notFound('Customer group');
    await tx.query(DEFAULT_GROUP_LOCK);
    const [row] = await tx.query<GroupRecord>(`SELECT ${GROUP_COLUMNS} FROM customer_groups g WHERE g.id = $1 FOR UPDATE`, [id]);
    if (!row) throw DomainError.notFound('Customer group');
    return row;
  }

  private async clearDefault(tx: Queryable): Promise<void> {
    await tx.query(DEFAULT_GROUP_LOCK);
    await tx.query('UPDATE customer_groups SET is_default = FALSE, updated_at = now() WHERE is_default');
  }

  private async guardCode<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isUniqueViolation(err, 'uq_customer_groups_code')) throw DomainError.badInput('input.code', 'a group with this code already exists');
      throw err;
    }
  }
}

function normalize(input: GroupInput) {
  return {
    code: input.code.trim().toUpperCase(),
    name: input.name.trim(),
    description: input.description?.trim() || null,
    isDefault: input.isDefault ?? false,
  };
}
