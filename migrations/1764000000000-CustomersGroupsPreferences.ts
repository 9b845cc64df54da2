import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers, groups, preferences and the consent log.
 *
 * Enumerations are stored as text with CHECK constraints (the GraphQL enum names), not as the
 * original service's integers: readable in SQL, and no translation table to keep in sync.
 * Default groups come from this migration, not from code (the original hard-coded them).
 * Marketing preferences default to off: consent under GDPR must be given, not presumed.
 */
export class CustomersGroupsPreferences1764000000000 implements MigrationInterface {
  name = 'CustomersGroupsPreferences1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customer_groups (
        id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        code        VARCHAR(50)  NOT NULL CONSTRAINT uq_customer_groups_code UNIQUE
                    CONSTRAINT ck_customer_groups_code CHECK (code ~ '^[A-Z0-9_]{1,50}$'),
        name        VARCHAR(100) NOT NULL,
        description VARCHAR(500),
        is_default  BOOLEAN      NOT NULL DEFAULT FALSE,
        created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
      )`);
    // At most one default group, enforced by the database.
    await q.query('CREATE UNIQUE INDEX uq_customer_groups_default ON customer_groups (is_default) WHERE is_default');
    await q.query(`
      INSERT INTO customer_groups (code, name, description, is_default) VALUES
        ('B2C', 'Consumers', 'Individual shoppers; new customers join this group', TRUE),
        ('B2B', 'Businesses', 'Business customers', FALSE)`);

    await q.query(`
      CREATE TABLE customers (
        id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        email               VARCHAR(255) NOT NULL,
        first_name          VARCHAR(100),
        last_name           VARCHAR(100),
        phone               VARCHAR(20),
        date_of_birth       DATE,
        gender              VARCHAR(20) CHECK (gender IN ('MALE', 'FEMALE', 'OTHER', 'UNDISCLOSED')),
        customer_type       VARCHAR(20) NOT NULL DEFAULT 'INDIVIDUAL' CHECK (customer_type IN ('INDIVIDUAL', 'BUSINESS')),
        status              VARCHAR(20) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'DELETED')),
        email_verified      BOOLEAN NOT NULL DEFAULT FALSE,
        two_factor_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
        registration_source VARCHAR(20) CHECK (registration_source IN ('WEBSITE', 'MOBILE_APP', 'ADMIN', 'IMPORT', 'API', 'SOCIAL')),
        metadata            JSONB NOT NULL DEFAULT '{}',
        group_id            UUID REFERENCES customer_groups (id),
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        deleted_at          TIMESTAMPTZ
      )`);
    // Emails are stored trimmed and lower-cased; the index on lower() makes case-insensitive
    // uniqueness hold even for rows written by other tools. Erased customers get a unique
    // placeholder email, so their old address can register again.
    await q.query('CREATE UNIQUE INDEX uq_customers_email ON customers (lower(email))');
    await q.query('CREATE INDEX idx_customers_email_prefix ON customers (email text_pattern_ops) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX idx_customers_status ON customers (status) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX idx_customers_group ON customers (group_id) WHERE deleted_at IS NULL');
    // Keyset pagination, one index per sort order (the id breaks ties).
    await q.query('CREATE INDEX idx_customers_created_keyset ON customers (created_at, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX idx_customers_email_keyset ON customers (email, id) WHERE deleted_at IS NULL');
    await q.query("CREATE INDEX idx_customers_last_name_keyset ON customers ((coalesce(last_name, '')), id) WHERE deleted_at IS NULL");
    await q.query(`
      CREATE INDEX idx_customers_full_name ON customers
        USING gin (to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '')))
        WHERE deleted_at IS NULL`);

    await q.query(`
      CREATE TABLE customer_preferences (
        customer_id         UUID PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
        email_marketing     BOOLEAN NOT NULL DEFAULT FALSE,
        sms_marketing       BOOLEAN NOT NULL DEFAULT FALSE,
        push_notifications  BOOLEAN NOT NULL DEFAULT FALSE,
        newsletter          BOOLEAN NOT NULL DEFAULT FALSE,
        data_sharing        BOOLEAN NOT NULL DEFAULT FALSE,
        analytics_tracking  BOOLEAN NOT NULL DEFAULT FALSE,
        cookie_consent      BOOLEAN NOT NULL DEFAULT FALSE,
        order_updates       BOOLEAN NOT NULL DEFAULT TRUE,
        promotional_emails  BOOLEAN NOT NULL DEFAULT FALSE,
        custom_preferences  JSONB NOT NULL DEFAULT '{}',
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE consent_log (
        id          BIGSERIAL PRIMARY KEY,
        customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        channel     VARCHAR(50) NOT NULL,
        granted     BOOLEAN NOT NULL,
        source      VARCHAR(20),
        ip_address  INET,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX idx_consent_log_customer ON consent_log (customer_id, recorded_at DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE consent_log');
    await q.query('DROP TABLE customer_preferences');
    await q.query('DROP TABLE customers');
    await q.query('DROP TABLE customer_groups');
  }
}
