/** A row of customer_groups, as the services select it. */
export interface GroupRecord {
  id: string;
  code: string;
  name: string;
  description: string | null;
  isDefault: boolean;
  createdAt: Date;
}

export const GROUP_COLUMNS = `g.id, g.code, g.name, g.description, g.is_default AS "isDefault", g.created_at AS "createdAt"`;
