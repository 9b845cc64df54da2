import type DataLoader from 'dataloader';
import type { Database } from '../db/database';
import type { IdLookups } from '../db/id-lookups';
import { traceBatches } from '../observability/tracing';
import { addressByIdLoader, addressesByCustomerLoader, readAddresses } from '../modules/address/address.loader';
import { auditTrailLoader } from '../modules/audit/audit.loader';
import { customerByIdLoader, readCustomers } from '../modules/customer/customer.loader';
import { groupByIdLoader, groupMemberCountLoader } from '../modules/group/group.loader';
import { consentLogLoader, preferencesByCustomerLoader } from '../modules/preference/preference.loader';
import { segmentByIdLoader, segmentMemberCountLoader, segmentsByCustomerLoader } from '../modules/segment/segment.loader';
import { statisticsByCustomerLoader } from '../modules/statistics/statistics.loader';
import { wishlistByCustomerLoader } from '../modules/wishlist/wishlist.loader';

/**
 * Per-request DataLoaders, each built on first use: a request that touches one loader pays
 * for one. Never shared between requests (a cache across requests would serve stale rows
 * and cross authorization boundaries). Beside them, two reads for callers that have all their
 * ids at once (`customers`, `addressesOf`): no loader, so no key, promise or cache per id.
 */
export class Loaders {
  private cache: Partial<Record<string, DataLoader<string, unknown>>> = {};

  constructor(
    private readonly db: Database,
    /** Shared by every request of the app: look-ups by id coalesced across requests (nothing cached). */
    private readonly lookups: IdLookups,
  ) {}

  /** Forgets every cached row: a subscription resolves each event as now committed. */
  reset(): void {
    this.cache = {};
  }

  /** The one place every loader is built: with tracing on, its batches become `dataloader.batch <name>` spans. */
  private lazy<L extends DataLoader<string, unknown>>(name: string, make: (db: Database, lookups: IdLookups) => L, key = name): L {
    return (this.cache[key] ??= traceBatches(name, make(this.db, this.lookups))) as L;
  }

  get customerById() {
    return this.lazy('customerById', (_db, lookups) => customerByIdLoader(lookups));
  }
  /**
   * Customers by id for a caller that has all its ids at once (`_entities`): no loader keys,
   * promises or cache per id; still one statement, shared with concurrent requests.
   */
  customers(ids: readonly string[], fields: ReadonlySet<string> | null, erased: boolean) {
    return readCustomers(this.lookups, ids, fields, erased);
  }
  get groupById() {
    return this.lazy('groupById', groupByIdLoader);
  }
  get groupMemberCount() {
    return this.lazy('groupMemberCount', groupMemberCountLoader);
  }
  get preferencesByCustomer() {
    return this.lazy('preferencesByCustomer', preferencesByCustomerLoader);
  }
  get consentLog() {
    return this.lazy('consentLog', consentLogLoader);
  }
  /** One loader per set of address properties (addressProperties): each selects only those columns. */
  addressesByCustomer(properties: string) {
    return this.lazy('addressesByCustomer', (_db, lookups) => addressesByCustomerLoader(lookups, properties), `addressesByCustomer:${properties}`);
  }
  /** The addresses of customers a caller has all at once (attachAddresses), as `customers` reads customers. */
  addressesOf(customerIds: readonly string[], properties: string) {
    return readAddresses(this.lookups, customerIds, properties);
  }
  get addressById() {
    return this.lazy('addressById', addressByIdLoader);
  }
  get wishlistByCustomer() {
    return this.lazy('wishlistByCustomer', wishlistByCustomerLoader);
  }
  get auditTrail() {
    return this.lazy('auditTrail', auditTrailLoader);
  }
  get statisticsByCustomer() {
    return this.lazy('statisticsByCustomer', statisticsByCustomerLoader);
  }
  get segmentById() {
    return this.lazy('segmentById', segmentByIdLoader);
  }
  get segmentMemberCount() {
    return this.lazy('segmentMemberCount', segmentMemberCountLoader);
  }
  get segmentsByCustomer() {
    return this.lazy('segmentsByCustomer', segmentsByCustomerLoader);
  }
}

export function createLoaders(db: Database, lookups: IdLookups): Loaders {
  return new Loaders(db, lookups);
}
