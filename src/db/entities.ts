import { OutboxEventEntity } from '../events/outbox.entity';
import { CustomerAddressEntity } from '../modules/address/address.entity';
import { AuditEventEntity } from '../modules/audit/audit.entity';
import {
  CustomerCredentialEntity,
  CustomerRecoveryCodeEntity,
  CustomerSessionEntity,
  CustomerTokenEntity,
  CustomerTwoFactorEntity,
  LoginLockoutEntity,
} from '../modules/auth/auth.entity';
import { CustomerEntity } from '../modules/customer/customer.entity';
import { CustomerGroupEntity } from '../modules/group/group.entity';
import { ConsentLogEntity, CustomerPreferencesEntity } from '../modules/preference/preference.entity';
import { CustomerSegmentEntity, SegmentMemberEntity } from '../modules/segment/segment.entity';
import { CustomerStatisticsEntity, OrderLedgerEntity } from '../modules/statistics/statistics.entity';
import { WishlistItemEntity } from '../modules/wishlist/wishlist.entity';

/**
 * Every TypeORM entity, one per table (the `migrations` bookkeeping table is TypeORM's own).
 * Registered with the service's DataSource and the CLI's (ormconfig.ts);
 * `test/schema-diff.test.ts` checks that they describe exactly what the migrations create.
 */
export const entities = [
  CustomerGroupEntity,
  CustomerEntity,
  CustomerPreferencesEntity,
  ConsentLogEntity,
  CustomerAddressEntity,
  WishlistItemEntity,
  AuditEventEntity,
  OutboxEventEntity,
  CustomerCredentialEntity,
  CustomerSessionEntity,
  CustomerTokenEntity,
  CustomerTwoFactorEntity,
  CustomerRecoveryCodeEntity,
  CustomerSegmentEntity,
  SegmentMemberEntity,
  CustomerStatisticsEntity,
  OrderLedgerEntity,
  LoginLockoutEntity,
];
