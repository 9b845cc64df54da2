import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { DomainError } from '../errors/domain-error';

/** bcrypt reads at most 72 bytes; longer passwords would be silently cut, so we refuse them. */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;

/** Rules for a password being set (register, reset, change): 8 characters to 72 bytes. */
export function checkNewPassword(field: string, password: string): void {
  if ([...password].length < PASSWORD_MIN_CHARS) throw DomainError.badInput(field, `must be at least ${PASSWORD_MIN_CHARS} characters`);
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    throw DomainError.badInput(field, `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt's limit)`);
  }
}

/**
 * bcrypt through its asynchronous API (the work runs on libuv's thread pool, never on the
 * event loop), at the configured cost.
 */
export class PasswordHasher {
  private dummy: Promise<string> | null = null;

  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /** False, too, for a password longer than bcrypt reads (it cannot be one we stored). */
  async verify(password: string, hash: string): Promise<boolean> {
    const ok = await bcrypt.compare(password, hash);
    return ok && Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES;
  }

  /**
   * The same work as a real check, against a hash nobody knows the password of: an unknown
   * email then costs as long as a wrong password, so timing does not reveal which emails exist.
   */
  async burn(password: string): Promise<false> {
    this.dummy ??= bcrypt.hash(randomBytes(16).toString('hex'), this.cost);
    await bcrypt.compare(password, await this.dummy);
    return false;
  }
}
