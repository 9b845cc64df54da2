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
