import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

// Secrets, each in an entity (and a table) of its own: never loaded with a customer, never one
// decorator away from a GraphQL type, and erased by deleting rows (migrations 1764300000000 and
// 1764500000000).

/** `customer_credentials`: the bcrypt hash of a customer's password. */
@Entity('customer_credentials')
export class CustomerCredentialEntity {
  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_credentials_pkey' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_credentials_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('text', { name: 'password_hash' })
  passwordHash!: string;

  @Column('timestamptz', { name: 'password_changed_at', default: () => 'now()' })
  passwordChangedAt!: Date;

  @Column('timestamptz', { name: 'last_login_at', nullable: true })
  lastLoginAt!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/** `customer_sessions`: a login session, named by the `sid` of its tokens. */
@Entity('customer_sessions')
@Index('idx_customer_sessions_customer', { synchronize: false })
export class CustomerSessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_sessions_pkey' })
  id!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_sessions_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @Column('inet', { name: 'ip_address', nullable: true })
  ipAddress!: string | null;

  @Column('text', { name: 'user_agent', nullable: true })
  userAgent!: string | null;
}

/** `customer_tokens`: single-use email verification and password reset tokens, as SHA-256 hashes. */
@Entity('customer_tokens')
@Unique('uq_customer_tokens_hash', ['tokenHash'])
@Check('customer_tokens_purpose_check', `purpose IN ('EMAIL_VERIFICATION', 'PASSWORD_RESET')`)
@Index('idx_customer_tokens_customer', { synchronize: false })
export class CustomerTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_tokens_pkey' })
  id!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_tokens_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('varchar', { length: 30 })
  purpose!: string;

  @Column('bytea', { name: 'token_hash' })
  tokenHash!: Buffer;

  /** The address a verification token was sent to: a changed email voids it. */
  @Column('varchar', { length: 255, nullable: true })
  email!: string | null;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}

/** `customer_two_factor`: the TOTP secret as AES-256-GCM ciphertext; `confirmedAt` null while enrolment is pending. */
@Entity('customer_two_factor')
export class CustomerTwoFactorEntity {
  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_two_factor_pkey' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_two_factor_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('bytea', { name: 'secret_ciphertext' })
  secretCiphertext!: Buffer;

  @Column('timestamptz', { name: 'confirmed_at', nullable: true })
  confirmedAt!: Date | null;

  /** BIGINT: a string, as pg reads it. */
  @Column('bigint', { name: 'last_used_step', nullable: true })
  lastUsedStep!: string | null;

  @Column('integer', { name: 'failed_attempts', default: 0 })
  failedAttempts!: number;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/** `customer_recovery_codes`: hashes of the one-time codes that stand in for the second factor. */
@Entity('customer_recovery_codes')
export class CustomerRecoveryCodeEntity {
  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_recovery_codes_pkey' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_recovery_codes_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @PrimaryColumn('bytea', { name: 'code_hash', primaryKeyConstraintName: 'customer_recovery_codes_pkey' })
  codeHash!: Buffer;

  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt!: Date | null;
}

/** `login_lockouts`: failed logins per email typed, keyed by an HMAC of it (no address stored). */
@Entity('login_lockouts')
@Index('idx_login_lockouts_updated', { synchronize: false })
export class LoginLockoutEntity {
  @PrimaryColumn('bytea', { primaryKeyConstraintName: 'login_lockouts_pkey' })
  key!: Buffer;

  @Column('integer', { name: 'failed_count', default: 0 })
  failedCount!: number;

  @Column('timestamptz', { name: 'window_start', nullable: true })
  windowStart!: Date | null;

  @Column('integer', { name: 'in_flight', default: 0 })
  inFlight!: number;

  @Column('timestamptz', { name: 'in_flight_at', nullable: true })
  inFlightAt!: Date | null;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil!: Date | null;

  @Column('integer', { name: 'lockout_count', default: 0 })
  lockoutCount!: number;

  @Column('integer', { name: 'bypass_failures', default: 0 })
  bypassFailures!: number;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}
