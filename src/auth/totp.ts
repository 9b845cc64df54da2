import { randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
export const TOTP_STEP_SECONDS = 30;
/** Accept the previous and the next step too (clock drift between phone and server). */
const TOLERANCE_SECONDS = TOTP_STEP_SECONDS;

/** A new 160-bit shared secret, base32 (what authenticator apps expect). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(issuer: string, account: string, secret: string): string {
  return generateURI({ issuer, label: account, secret });
}

/**
 * The time step a code belongs to, or null when it is not valid now. A code of a step at or
 * before `lastUsedStep` is refused: each code works once (replay protection).
 *
 * otplib 13's `verify` answers an object, not a boolean (see STACK-NOTES): only `.valid`
 * counts.
 */
export async function matchTotp(secret: string, code: string, lastUsedStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epochTolerance: TOLERANCE_SECONDS,
    ...(lastUsedStep === null ? {} : { afterTimeStep: lastUsedStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i
const RECOVERY_CODE_COUNT = 10;

/** Ten codes like `k7m2x-9qpwd` (about 49 bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
    return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
  });
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

export function looksLikeRecoveryCode(normalised: string): boolean {
  return normalised.length === 10 && [...normalised].every((c) => RECOVERY_ALPHABET.includes(c));
}
