import type { MigrationInterface } from 'typeorm';
import { CustomersGroupsPreferences1764000000000 } from './1764000000000-CustomersGroupsPreferences';
import { AddressesWishlists1764100000000 } from './1764100000000-AddressesWishlists';
import { AuditOutbox1764200000000 } from './1764200000000-AuditOutbox';
import { Accounts1764300000000 } from './1764300000000-Accounts';
import { SegmentsStatistics1764400000000 } from './1764400000000-SegmentsStatistics';
import { LoginLockouts1764500000000 } from './1764500000000-LoginLockouts';
import { ConsentActor1764510000000 } from './1764510000000-ConsentActor';
import { EmailsNfc1764600000000 } from './1764600000000-EmailsNfc';

/** Every migration, oldest first. Add new ones at the end. */
export const migrations: MigrationInterface[] = [
  new CustomersGroupsPreferences1764000000000(),
  new AddressesWishlists1764100000000(),
  new AuditOutbox1764200000000(),
  new Accounts1764300000000(),
  new SegmentsStatistics1764400000000(),
  new LoginLockouts1764500000000(),
  new ConsentActor1764510000000(),
  new EmailsNfc1764600000000(),
];
