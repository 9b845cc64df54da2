import { hasPostalCodes, isCountryCode, normalizePostalCode } from '../../src/modules/address/postal-code';

// [country, as typed, stored as]
const VALID: [string, string, string][] = [
  ['US', '10001', '10001'],
  ['US', '10001-1234', '10001-1234'],
  ['US', '100011234', '10001-1234'],
  ['CA', 'k1a0b1', 'K1A 0B1'],
  ['CA', 'K1A-0B1', 'K1A 0B1'],
  ['GB', 'sw1a1aa', 'SW1A 1AA'],
  ['GB', 'M1 1AE', 'M1 1AE'],
  ['GB', 'EC1A 1BB', 'EC1A 1BB'],
  ['DE', '10115', '10115'],
  ['FR', '75008', '75008'],
  ['NL', '1234ab', '1234 AB'],
  ['NL', '1234 AB', '1234 AB'],
  ['JP', '1234567', '123-4567'],
  ['JP', '123-4567', '123-4567'],
  ['VN', '700000', '700000'],
  ['AU', '2000', '2000'],
  ['IN', '110001', '110001'],
  ['BR', '01310100', '01310-100'],
  ['BR', '01310-100', '01310-100'],
  ['IT', '00184', '00184'],
  ['ES', '28013', '28013'],
  ['PT', '1000-001', '1000-001'],
  ['PT', '1000001', '1000-001'],
  ['PL', '00950', '00-950'],
  ['SE', '11455', '114 55'],
  ['NO', '0150', '0150'],
  ['DK', '1050', '1050'],
  ['FI', '00100', '00100'],
  ['CH', '8001', '8001'],
  ['AT', '1010', '1010'],
  ['BE', '1000', '1000'],
  ['IE', 'd02x285', 'D02 X285'],
  ['CZ', '11000', '110 00'],
  ['SK', '81101', '811 01'],
  ['HU', '1051', '1051'],
  ['GR', '10557', '105 57'],
  ['RO', '010011', '010011'],
  ['LV', 'lv-1050', 'LV-1050'],
  ['LV', '1050', 'LV-1050'],
  ['LT', '01100', '01100'],
  ['EE', '10111', '10111'],
  ['LU', '1009', '1009'],
  ['CN', '100000', '100000'],
  ['KR', '03187', '03187'],
  ['SG', '018956', '018956'],
  ['MX', '06000', '06000'],
  ['ZA', '8001', '8001'],
  ['NZ', '6011', '6011'],
  ['RU', '101000', '101000'],
  ['TR', '34000', '34000'],
];

const INVALID: [string, string][] = [
  ['US', '1000'],
  ['US', '10001-12'],
  ['CA', '123456'],
  ['GB', 'WC2H'],
  ['DE', '1011'],
  ['NL', '0123 AB'],
  ['JP', '12345'],
  ['BR', '1234-567'],
  ['VN', '70000'],
  ['AU', '20000'],
  ['IN', '11000'],
  ['FR', 'ABCDE'],
];

describe('postal codes', () => {
  it('covers at least 40 countries with a valid sample', () => {
    expect(new Set(VALID.map(([c]) => c)).size).toBeGreaterThanOrEqual(40);
  });

  it.each(VALID)('%s accepts "%s" and stores "%s"', (country, typed, stored) => {
    expect(normalizePostalCode(country, typed)).toEqual({ ok: true, value: stored });
  });

  it.each(INVALID)('%s refuses "%s"', (country, typed) => {
    expect(normalizePostalCode(country, typed).ok).toBe(false);
  });

  it('requires a postal code where the country has them', () => {
    expect(normalizePostalCode('DE', null)).toEqual({ ok: false, message: 'is required for country DE' });
    expect(normalizePostalCode('US', '  ').ok).toBe(false);
  });

  it('makes it optional where the country has none', () => {
    for (const country of ['HK', 'AE', 'QA', 'BS']) {
      expect(hasPostalCodes(country)).toBe(false);
      expect(normalizePostalCode(country, null)).toEqual({ ok: true, value: null });
    }
    expect(normalizePostalCode('AE', ' po box 1 ')).toEqual({ ok: true, value: 'PO BOX 1' });
  });

  it('refuses a code whose upper case outgrows the column, though the typed one fits', () => {
    expect(normalizePostalCode('HK', 'ß'.repeat(20))).toEqual({ ok: false, message: 'must be at most 20 characters' });
    expect(normalizePostalCode('AE', 'ŉ'.repeat(11))).toEqual({ ok: false, message: 'must be at most 20 characters' });
    expect(normalizePostalCode('HK', 'ß'.repeat(10))).toEqual({ ok: true, value: 'SS'.repeat(10) });
  });

  it('knows ISO 3166-1 alpha-2 codes and nothing else', () => {
    for (const c of ['US', 'DE', 'VN', 'HK', 'AQ']) expect(isCountryCode(c)).toBe(true);
    for (const c of ['UK', 'XX', 'us', 'USA', 'D', '']) expect(isCountryCode(c)).toBe(false);
  });
});
