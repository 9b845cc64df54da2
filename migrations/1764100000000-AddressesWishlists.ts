import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Addresses (soft-deleted, with metadata, as the original service's 002 and 012) and wishlist
 * items (013). At most one live default address per customer and type is a database rule: a
 * partial unique index, not only code (the original lost defaults when code failed midway).
 */
export class AddressesWishlists1764100000000 implements MigrationInterface {
  name = 'AddressesWishlists1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customer_addresses (
        id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id     UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        type            VARCHAR(10) NOT NULL DEFAULT 'SHIPPING' CHECK (type IN ('SHIPPING', 'BILLING')),
        first_name      VARCHAR(100),
        last_name       VARCHAR(100),
        company         VARCHAR(255),
        address_line_1  VARCHAR(255) NOT NULL,
        address_line_2  VARCHAR(255),
        city            VARCHAR(100) NOT NULL,
        state_province  VARCHAR(100),
        postal_code     VARCHAR(20),
        country_code    CHAR(2) NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
        phone           VARCHAR(20),
        label           VARCHAR(50),
        is_default      BOOLEAN NOT NULL DEFAULT FALSE,
        is_verified     BOOLEAN NOT NULL DEFAULT FALSE,
        metadata        JSONB NOT NULL DEFAULT '{}',
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        deleted_at      TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE UNIQUE INDEX uq_addresses_one_default ON customer_addresses (customer_id, type)
        WHERE is_default AND deleted_at IS NULL`);
    await q.query('CREATE INDEX idx_addresses_customer_id ON customer_addresses (customer_id, created_at DESC) WHERE deleted_at IS NULL');

    await q.query(`
      CREATE TABLE customer_wishlist_items (
        id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        product_id  VARCHAR(100) NOT NULL,
        added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT uq_wishlist_customer_product UNIQUE (customer_id, product_id)
      )`);
    await q.query('CREATE INDEX idx_wishlist_customer_added ON customer_wishlist_items (customer_id, added_at DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customer_wishlist_items');
    await q.query('DROP TABLE customer_addresses');
  }
}
