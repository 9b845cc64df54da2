import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emails in Unicode NFC, the form the service now stores and looks up (canonicalEmail): an
 * address stored decomposed ("e" plus a combining accent) would no longer match its owner's
 * login. One that would collide with an account already stored precomposed (the duplicate
 * this fixes) is left as it was, for support to merge: moving it would fail the unique index.
 */
export class EmailsNfc1764600000000 implements MigrationInterface {
  name = 'EmailsNfc1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE customers c SET email = normalize(c.email, NFC)
       WHERE c.email <> normalize(c.email, NFC)
         AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.id <> c.id AND lower(o.email) = lower(normalize(c.email, NFC)))`);
  }

  async down(): Promise<void> {
    // Nothing to undo: the decomposed forms are not kept, and NFC is what every version reads.
  }
}
