import type { ColumnMap } from '../../db/columns';

/** A row of customer_groups, as the services select it. */
export interface GroupRecord {
  id: string;
  code: string;
  name: string;
  description: string | null;
  isDefault: boolean;
  createdAt: Date;
}

export const GROUP_COLUMN: ColumnMap<GroupRecord> = {
  id: 'g.id',
  code: 'g.code',
  name: 'g.name',
  description: 'g.description',
  isDefault: 'g.is_default',
  createdAt: 'g.created_at',
};
