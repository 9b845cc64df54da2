import type { SegmentRuleRecord } from './segment.rules';

/** A `customer_segments` row as the GraphQL type reads it. */
export interface SegmentRecord {
  id: string;
  name: string;
  description: string | null;
  isActive: boolean;
  rules: SegmentRuleRecord[];
  minScore: number;
  createdAt: Date;
  updatedAt: Date;
}

export const SEGMENT_COLUMNS = `s.id, s.name, s.description, s.is_active AS "isActive", s.rules, s.min_score AS "minScore",
  s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;
