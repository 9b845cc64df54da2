import postalCodes from 'postal-codes-js';
import byAlpha2 from 'postal-codes-js/generated/postal-codes-alpha2.json';

/**
 * Country and postal-code rules. The data (every ISO 3166-1 alpha-2 code, which countries
 * have postal codes, and each one's pattern) comes from the maintained `postal-codes-js`
 * tables; what we add is the canonical *display* form for countries whose codes carry a
 * separator, so "k1a0b1", "K1A-0B1" and "K1A 0B1" are all stored as "K1A 0B1".
 */
const COUNTRIES = byAlpha2 as Record<string, { postalCodeFormat?: string }>;

/** Compact code (no spaces or dashes, upper case) -> display form, per country. */
const DISPLAY: Record<string, (c: string) => string> = {
  US: (c) => (c.length === 9 ? `${c.slice(0, 5)}-${c.slice(5)}` : c), // ZIP+4
  CA: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  GB: (c) => `${c.slice(0, -3)} ${c.slice(-3)}`,
  IM: (c) => `${c.slice(0, -3)} ${c.slice(-3)}`,
  JE: (c) => `${c.slice(0, -3)} ${c.slice(-3)}`,
  GG: (c) => `${c.slice(0, -3)} ${c.slice(-3)}`,
  IE: (c) => `${c.slice(0, 3)} ${c.slice(3)}`, // Eircode
  NL: (c) => `${c.slice(0, 4)} ${c.slice(4)}`,
  JP: (c) => `${c.slice(0, 3)}-${c.slice(3)}`,
  BR: (c) => `${c.slice(0, 5)}-${c.slice(5)}`,
  PL: (c) => `${c.slice(0, 2)}-${c.slice(2)}`,
  PT: (c) => `${c.slice(0, 4)}-${c.slice(4)}`,
  SE: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  CZ: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  SK: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  GR: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  MT: (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
  LV: (c) => `LV-${c.replace(/^LV/, '')}`,
};

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && Object.prototype.hasOwnProperty.call(COUNTRIES, code);
}

export function hasPostalCodes(country: string): boolean {
  return Boolean(COUNTRIES[country]?.postalCodeFormat);
}

/** The column's VARCHAR(20). */
const MAX_LENGTH = 20;

export type PostalCodeResult = { ok: true; value: string | null } | { ok: false; message: string };

/**
 * Validates and normalises a postal code for a (valid, upper-case) country. Required where the
 * country has postal codes; where it has none, a given value is kept as typed (upper case).
 */
export function normalizePostalCode(country: string, raw: string | null | undefined): PostalCodeResult {
  const text = raw?.trim() ?? '';
  if (!hasPostalCodes(country)) {
    const upper = text.toUpperCase();
    // Upper case can be longer than what passed the input's length check ("ß" is "SS").
    if (upper.length > MAX_LENGTH) return { ok: false, message: `must be at most ${MAX_LENGTH} characters` };
    return { ok: true, value: upper || null };
  }
  if (!text) return { ok: false, message: `is required for country ${country}` };
  const compact = text.replace(/[\s-]+/g, '').toUpperCase();
  const display = DISPLAY[country]?.(compact) ?? compact;
  // Some of the library's patterns expect the separator (PT, PL), others the compact form.
  if (postalCodes.validate(country, display) !== true && postalCodes.validate(country, compact) !== true) {
    return { ok: false, message: `is not a valid postal code for ${country}` };
  }
  if (display.length > MAX_LENGTH) return { ok: false, message: `must be at most ${MAX_LENGTH} characters` };
  return { ok: true, value: display };
}
