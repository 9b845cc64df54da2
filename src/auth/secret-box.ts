import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest (TOTP secrets), and an HMAC for values we only ever
 * compare (recovery codes). Ciphertext layout: iv | tag | data. The customer id is the
 * additional authenticated data, so a ciphertext copied onto another customer's row fails
 * to decrypt.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly macKey: Buffer;

  /** `key`: 32 bytes from CUSTOMER_2FA_ENCRYPTION_KEY; without it (development) one is derived from the JWT secret. */
  constructor(key: Buffer | null, fallbackSecret: string) {
    const root = key ?? Buffer.from(hkdfSync('sha256', fallbackSecret, 'customer-subgraph', 'two-factor key (development)', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', root, '', 'totp-secret-encryption', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', root, '', 'recovery-code-mac', 32));
  }

  encrypt(plaintext: string, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), data]);
  }

  decrypt(stored: Uint8Array, aad: string): string {
    const box = Buffer.from(stored);
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, box.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(box.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** A keyed hash: a leaked table of recovery-code hashes cannot be brute-forced without the key. */
  mac(value: string): Buffer {
    return createHmac('sha256', this.macKey).update(value).digest();
  }
}
