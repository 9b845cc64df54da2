import { toE164 } from '../../common/phone';
import { DomainError, FieldError } from '../../errors/domain-error';
import type { AddressFields, ValidAddressFields } from './address.record';
import { isCountryCode, normalizePostalCode } from './postal-code';

export const MAX_LIVE_ADDRESSES = 50;

/**
 * Checks a complete set of address fields (already trimmed, empty strings null) and returns
 * them normalised: country upper case and known, postal code valid and in its canonical
 * form for that country, phone in E.164 (national numbers read in the address's country).
 * All problems are reported at once, each naming its field.
 */
export function normalizeAddress(input: AddressFields): ValidAddressFields {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field: `input.${field}`, message });
  const out = { ...input };

  if (!out.addressLine1) fail('addressLine1', 'is required');
  if (!out.city) fail('city', 'is required');
  const country = out.countryCode?.toUpperCase() ?? '';
  if (!isCountryCode(country)) {
    fail('countryCode', 'must be an ISO 3166-1 alpha-2 country code, e.g. US, DE, VN');
  } else {
    out.countryCode = country;
    const postal = normalizePostalCode(country, out.postalCode);
    if (postal.ok) out.postalCode = postal.value;
    else fail('postalCode', postal.message);
    if (out.phone) {
      const phone = toE164(out.phone, country);
      if (phone) out.phone = phone;
      else fail('phone', `must be a valid phone number (E.164, or a national number of ${country})`);
    }
  }
  const { addressLine1, city, countryCode } = out;
  if (errors.length || !addressLine1 || !city || !countryCode) {
    throw new DomainError('BAD_USER_INPUT', `Invalid address: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
  }
  return { ...out, addressLine1, city, countryCode };
}
