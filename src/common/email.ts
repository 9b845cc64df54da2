import { ValidateBy } from 'class-validator';

/**
 * The one form an email is stored, looked up and locked out under: trimmed, Unicode NFC (the
 * form RFC 6532 asks for; "café" typed as "e" plus a combining accent registered a second
 * account beside the precomposed one), lower case.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** Where erased customers' emails go (gdpr.service.ts): a domain nobody can register under. */
export const ERASED_EMAIL_DOMAIN = 'erased.invalid';

/**
 * class-validator rule: the address is not under the reserved top-level domain `.invalid`
 * (RFC 6761: it never resolves, so no mail can reach it). Erasure gives each erased customer
 * an address there; if a client could choose one, it could take an erased customer's address
 * first and make that erasure fail.
 */
export function IsDeliverableDomain(): PropertyDecorator {
  return ValidateBy({
    name: 'isDeliverableDomain',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return true; // IsEmail speaks for the rest
        const domain = value
          .slice(value.lastIndexOf('@') + 1)
          .toLowerCase()
          .replace(/\.$/, '');
        return domain !== 'invalid' && !domain.endsWith('.invalid');
      },
      defaultMessage: (args) => `${args?.property ?? 'email'} must be an address that can receive mail (not under .invalid)`,
    },
  });
}
