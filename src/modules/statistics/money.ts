/**
 * Exact money arithmetic for order events: amounts travel as decimal strings and are held as
 * integer cents (BigInt), never as floats. PostgreSQL does the stored sums (NUMERIC); these
 * helpers only validate, compare and format.
 */

/** At most 12 integer digits and 2 decimals: what NUMERIC(14, 2) holds. */
export const AMOUNT_PATTERN = /^\d{1,12}(\.\d{1,2})?$/;

/** "12.5" -> 1250n. The caller has checked AMOUNT_PATTERN. */
export function toCents(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** 1250n -> "12.50". */
export function fromCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

export function minCents(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
