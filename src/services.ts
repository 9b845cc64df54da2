import type { TokenIssuer } from './auth/jwt';
import { PasswordHasher } from './auth/passwords';
import type { PasswordGate } from './auth/password-gate';
import type { IpRateLimiter } from './auth/rate-limit';
import { SecretBox } from './auth/secret-box';
import type { SessionStore } from './auth/sessions';
import type { Config } from './config/config';
import type { Database } from './db/database';
import type { Transactor } from './application/unit-of-work';
import { AddressService } from './modules/address/address.service';
import { AuditService } from './modules/audit/audit.service';
import { GdprService } from './modules/gdpr/gdpr.service';
import { AccountService } from './modules/auth/account.service';
import { Lockout } from './modules/auth/lockout';
import type { Deferred } from './common/deferred';
import { TwoFactorService } from './modules/auth/two-factor.service';
import { CustomerService } from './modules/customer/customer.service';
import { GroupService } from './modules/group/group.service';
import { PreferenceService } from './modules/preference/preference.service';
import { SegmentService } from './modules/segment/segment.service';
import { StatisticsService } from './modules/statistics/statistics.service';
import { WishlistService } from './modules/wishlist/wishlist.service';

/** Stateless domain services, built once per process and shared by every request. */
export interface Services {
  customers: CustomerService;
  groups: GroupService;
  preferences: PreferenceService;
  addresses: AddressService;
  wishlist: WishlistService;
  audit: AuditService;
  accounts: AccountService;
  twoFactor: TwoFactorService;
  segments: SegmentService;
  gdpr: GdprService;
  statistics: StatisticsService;
  sessions: SessionStore;
}

/** What the account services need beyond the database. */
export interface AuthParts {
  sessions: SessionStore;
  issuer: TokenIssuer;
  limiter: IpRateLimiter;
  accountLimiter: IpRateLimiter;
  passwordGate: PasswordGate;
  deferred: Deferred;
}

/**
 * `work` runs each mutation's unit of work (row changes + audit rows + outbox events); the
 * steps every unit of work runs before it commits are registered on it here.
 */
export function createServices(db: Database, work: Transactor, config: Config, auth: AuthParts): Services {
  const customers = new CustomerService(db, work, auth.sessions);
  const secrets = new SecretBox(config.auth.twoFactorKey, config.jwtSecret);
  const lockout = new Lockout(db, config.auth, (value) => secrets.mac(value));
  const twoFactor = new TwoFactorService(db, work, secrets, {
    enabled: config.enable2fa,
    issuer: config.auth.twoFactorIssuer,
    maxAttempts: config.auth.twoFactorMaxAttempts,
    lockSeconds: config.auth.twoFactorLockSeconds,
  });
  const audit = new AuditService(db);
  const segments = new SegmentService(db, work, config.enableSegments);
  // Every unit of work re-scores the customers it changed before it commits.
  work.onBeforeCommit((w) => segments.beforeCommit(w));
  return {
    customers,
    groups: new GroupService(db, work),
    preferences: new PreferenceService(work),
    addresses: new AddressService(work),
    wishlist: new WishlistService(work),
    audit,
    accounts: new AccountService({
      db,
      work,
      customers,
      twoFactor,
      hasher: new PasswordHasher(config.bcryptCost),
      settings: config.auth,
      lockout,
      ...auth,
    }),
    twoFactor,
    segments,
    gdpr: new GdprService(work, audit, lockout),
    sessions: auth.sessions,
    statistics: new StatisticsService(config.orders.shopCurrency),
  };
}
