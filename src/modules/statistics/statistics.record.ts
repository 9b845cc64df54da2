import type { ColumnMap } from '../../db/columns';
import type { CustomerStatistics } from './statistics.type';

/**
 * A customer_statistics row as the loader selects it. Amounts come back as text (`::text`),
 * so neither driver (pg, PGlite) ever turns a NUMERIC into a float; the average is derived in
 * SQL from the exact total (NUMERIC division, rounded half away from zero to cents).
 */
export interface StatisticsRow {
  customerId: string;
  totalOrders: number;
  totalSpent: string;
  averageOrderValue: string;
  currencyCode: string;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

export const STATISTICS_COLUMN = {
  customerId: 's.customer_id',
  totalOrders: 's.total_orders',
  totalSpent: 's.total_spent::text',
  averageOrderValue: '(CASE WHEN s.total_orders > 0 THEN round(s.total_spent / s.total_orders, 2) ELSE 0 END)::numeric(14, 2)::text',
  currencyCode: 's.currency_code',
  firstOrderAt: 's.first_order_at',
  lastOrderAt: 's.last_order_at',
} satisfies ColumnMap<StatisticsRow>;

/** The GraphQL shape; a customer with no row yet (no order counted) has zeros in the shop currency. */
export function toStatistics(row: StatisticsRow | null, shopCurrency: string): CustomerStatistics {
  if (!row) {
    return {
      totalOrders: 0,
      totalSpent: { amount: '0.00', currencyCode: shopCurrency },
      averageOrderValue: { amount: '0.00', currencyCode: shopCurrency },
      firstOrderAt: null,
      lastOrderAt: null,
    };
  }
  return {
    totalOrders: row.totalOrders,
    totalSpent: { amount: row.totalSpent, currencyCode: row.currencyCode },
    averageOrderValue: { amount: row.averageOrderValue, currencyCode: row.currencyCode },
    firstOrderAt: row.firstOrderAt,
    lastOrderAt: row.lastOrderAt,
  };
}
