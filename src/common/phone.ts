import { ValidateBy } from 'class-validator';
import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A phone number in E.164 (+14155550123), or null when it is not a valid number. National
 * formats are read in `defaultCountry` (an address's country); without one the number must
 * carry its + country code. Uses libphonenumber's full metadata, so number lengths and
 * ranges are checked per country, not just the digit count.
 */
export function toE164(value: string, defaultCountry?: string): string | null {
  const parsed = parsePhoneNumberFromString(value, defaultCountry as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : null;
}

/** class-validator rule: the (already normalised) value is a valid E.164 number. */
export function IsE164(): PropertyDecorator {
  return ValidateBy({
    name: 'isE164',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && toE164(value) === value,
      defaultMessage: (args) => `${args?.property ?? 'phone'} must be a valid phone number in E.164 format, e.g. +14155550123`,
    },
  });
}
