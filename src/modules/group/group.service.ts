import { isUuid } from '../../common/ids';
import type { Database, Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { changedValues, Transactor } from '../../application/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { CustomerRepository } from '../customer/customer.repository';
import type { GroupRecord } from './group.record';
import { GroupRepository } from './group.repository';

export interface GroupInput {
  code: string;
  name: string;
  description?: string | null;
  isDefault?: boolean | null;
}

/** Customer groups (B2C, B2B, ...). Exactly one group is the default that new customers join. */
export class GroupService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
    private readonly groups = new GroupRepository(),
    private readonly customers = new CustomerRepository(),
  ) {}

  list(): Promise<GroupRecord[]> {
    return this.groups.list(this.db);
  }

  /** The default group's id, read inside the caller's transaction. */
  static async defaultGroupId(tx: Queryable): Promise<string> {
    const id = await new GroupRepository().defaultId(tx);
    if (!id) throw new DomainError('INTERNAL_SERVER_ERROR', 'No default customer group is configured');
    return id;
  }

  async create(input: GroupInput, actor: Actor): Promise<GroupRecord> {
    const g = normalize(input);
    return this.work.run(actor, async (w) => {
      if (g.isDefault) await this.groups.clearDefault(w.tx);
      const row = await guardCode(() => this.groups.insert(w.tx, g));
      w.audit({ eventType: 'customer.group.create', customerId: null, resourceId: row.id, operation: 'create', newValues: g });
      return row;
    });
  }

  async update(id: string, input: GroupInput, actor: Actor): Promise<GroupRecord> {
    const g = normalize(input);
    return this.work.run(actor, async (w) => {
      const current = await this.lockGroup(w.tx, id);
      if (current.isDefault && !g.isDefault) {
        // The input replaces every field, and the contract defaults isDefault to false: renaming
        // the default group without `isDefault: true` lands here, so the message says how.
        throw DomainError.badInput(
          'input.isDefault',
          'there must always be a default group: send isDefault: true to keep this one the default (an update replaces every field), or make another group the default first',
        );
      }
      if (g.isDefault && !current.isDefault) await this.groups.clearDefault(w.tx);
      const row = await guardCode(() => this.groups.update(w.tx, id, g));
      const diff = changedValues(current, row, ['code', 'name', 'description', 'isDefault']);
      if (diff.changed.length) w.audit({ eventType: 'customer.group.update', customerId: null, resourceId: id, operation: 'update', ...diff });
      return row;
    });
  }

  /** Members of a deleted group move to the default group in the same transaction. */
  async delete(id: string, actor: Actor): Promise<boolean> {
    return this.work.run(actor, async (w) => {
      const current = await this.lockGroup(w.tx, id);
      if (current.isDefault) throw DomainError.badInput('id', 'the default group cannot be deleted; make another group the default first');
      const defaultId = await GroupService.defaultGroupId(w.tx);
      const moved = await this.customers.moveGroupMembers(w.tx, id, defaultId);
      await this.groups.delete(w.tx, id);
      w.audit({
        eventType: 'customer.group.delete',
        customerId: null,
        resourceId: id,
        operation: 'delete',
        oldValues: { code: current.code, name: current.name },
        metadata: { membersMovedTo: defaultId, membersMoved: moved.length },
      });
      // Each moved member changed group: one event per customer, as assignCustomerGroup would.
      for (const m of moved) w.emit({ type: 'customer.group_changed', customerId: m, data: { customerId: m, from: id, to: defaultId } });
      return true;
    });
  }

  private async lockGroup(tx: Queryable, id: string): Promise<GroupRecord> {
    if (!isUuid(id)) throw DomainError.notFound('Customer group');
    const row = await this.groups.lockForChange(tx, id);
    if (!row) throw DomainError.notFound('Customer group');
    return row;
  }
}

async function guardCode<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err, 'uq_customer_groups_code')) throw DomainError.badInput('input.code', 'a group with this code already exists');
    throw err;
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
