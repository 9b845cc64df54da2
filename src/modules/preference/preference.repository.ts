import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Queryable } from '../../db/database';
import { returningList, selectRecord } from '../../db/select-record';
import { ConsentLogEntity, CustomerPreferencesEntity } from './preference.entity';
import { CONSENT_CHANNELS, ConsentChannel, ConsentRecordRow, PREFERENCES_COLUMN, PreferencesRecord } from './preference.record';

/** The record's columns as a RETURNING list (an updated row comes back as a record in the same statement). */
const RETURNING = returningList(PREFERENCES_COLUMN, 'p');

/** Channels erasure turns off: every marketing consent; `orderUpdates` (transactional) stays as it is. */
const ERASED_CHANNELS = CONSENT_CHANNELS.filter((ch) => ch !== 'orderUpdates');

// The newest `first` records of each customer: LATERAL + LIMIT walks the (customer_id,
// recorded_at DESC) index once per customer. TypeORM's QueryBuilder has no LATERAL join, and a
// window function over every record of the customers would read them all: `manager.query`.
const NEWEST_CONSENTS = `SELECT l.customer_id AS "customerId", l.channel, l.granted, l.source, host(l.ip_address) AS "ipAddress",
                                l.actor_id AS "actorId", l.recorded_at AS "recordedAt"
                           FROM unnest($1::uuid[]) AS k(id)
                           CROSS JOIN LATERAL (
                             SELECT * FROM consent_log c WHERE c.customer_id = k.id ORDER BY c.recorded_at DESC, c.id DESC LIMIT $2
                           ) l`;

/** A consent record being appended: which channel, granted or withdrawn. */
export interface ConsentChange {
  channel: ConsentChannel;
  granted: boolean;
}

/** Where and by whom the consents were collected (the same for every record of one change). */
export interface ConsentContext {
  source: string;
  ip: string | null;
  actorId: string | null;
}

/** A consent record as the data export shows it, with who recorded it (the caller decides whether the IP stays). */
export interface ConsentExportRow {
  channel: string;
  granted: boolean;
  source: string | null;
  ipAddress: string | null;
  recordedAt: Date;
  actorId: string | null;
}

/**
 * `customer_preferences` (one row per customer) and `consent_log` (append-only proof of
 * consent): the only code that reads or writes them. Each method takes the database or the unit
 * of work's transaction (`Queryable`) and sends one statement unless it says otherwise.
 */
export class PreferenceRepository {
  /** Preferences of many customers. `= ANY(:ids)`: one statement text whatever the number of ids. */
  byCustomers(q: Queryable, customerIds: readonly string[]): Promise<PreferencesRecord[]> {
    return selectRecord(q.manager.createQueryBuilder(CustomerPreferencesEntity, 'p'), PREFERENCES_COLUMN)
      .where('p.customer_id = ANY(:ids::uuid[])', { ids: customerIds })
      .getRawMany<PreferencesRecord>();
  }

  /** A new customer's preferences: every column its default (no marketing, nothing shared). */
  async insertDefaults(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.createQueryBuilder().insert().into(CustomerPreferencesEntity).values({ customerId }).updateEntity(false).execute();
  }

  /** The customer's preferences with their row locked (FOR NO KEY UPDATE) until the transaction ends; null when there is no row. */
  async lockForUpdate(tx: Queryable, customerId: string): Promise<PreferencesRecord | null> {
    const row = await selectRecord(tx.manager.createQueryBuilder(CustomerPreferencesEntity, 'p'), PREFERENCES_COLUMN)
      .where('p.customer_id = :customerId', { customerId })
      .setLock('for_no_key_update')
      .getRawOne<PreferencesRecord>();
    return row ?? null;
  }

  /** Sets the given channels, and the custom preferences unless null; `updated_at` always. */
  async update(
    tx: Queryable,
    customerId: string,
    channels: Partial<Record<ConsentChannel, boolean>>,
    custom: Record<string, unknown> | null,
  ): Promise<PreferencesRecord> {
    const values: QueryDeepPartialEntity<CustomerPreferencesEntity> = { ...channels, updatedAt: () => 'now()' };
    // TypeORM's write types take no `unknown` JSON values; the driver stringifies a jsonb value either way.
    if (custom !== null) values.customPreferences = custom as QueryDeepPartialEntity<Record<string, unknown>>;
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerPreferencesEntity)
      .set(values)
      .where('customer_id = :customerId', { customerId })
      .returning(RETURNING)
      .execute();
    return (res.raw as PreferencesRecord[])[0];
  }

  /** The newest `first` consent records of each customer (one statement), newest first. */
  newestConsents(q: Queryable, customerIds: readonly string[], first: number): Promise<ConsentRecordRow[]> {
    return q.manager.query<ConsentRecordRow[]>(NEWEST_CONSENTS, [customerIds, first]);
  }

  /** Appends one consent record per change (one statement). */
  async appendConsents(tx: Queryable, customerId: string, changes: readonly ConsentChange[], by: ConsentContext): Promise<void> {
    if (changes.length === 0) return;
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(ConsentLogEntity)
      .values(changes.map(({ channel, granted }) => ({ customerId, channel, granted, source: by.source, ipAddress: by.ip, actorId: by.actorId })))
      .updateEntity(false)
      .execute();
  }

  /**
   * GDPR erasure (two statements): the preferences stay, with every marketing consent off and no
   * custom preferences (no consent is presumed for a deleted account); the consent log stays as
   * proof, without the IP addresses (README, "What we keep and why").
   */
  async erasePersonal(tx: Queryable, customerId: string): Promise<void> {
    const off = Object.fromEntries(ERASED_CHANNELS.map((ch) => [ch, false])) as Partial<Record<ConsentChannel, boolean>>;
    await tx.manager.update(CustomerPreferencesEntity, { customerId }, { ...off, customPreferences: {}, updatedAt: () => 'now()' });
    await tx.manager.update(ConsentLogEntity, { customerId }, { ipAddress: null });
  }

  /** GDPR export (two statements): the preferences (null without a row) and the whole consent log, oldest first. */
  async exportPersonal(q: Queryable, customerId: string): Promise<{ preferences: PreferencesRecord | null; consentLog: ConsentExportRow[] }> {
    const preferences = await selectRecord(q.manager.createQueryBuilder(CustomerPreferencesEntity, 'p'), PREFERENCES_COLUMN)
      .where('p.customer_id = :customerId', { customerId })
      .getRawOne<PreferencesRecord>();
    const consentLog = await q.manager
      .createQueryBuilder(ConsentLogEntity, 'l')
      .select('l.channel', 'channel')
      .addSelect('l.granted', 'granted')
      .addSelect('l.source', 'source')
      .addSelect('host(l.ip_address)', 'ipAddress')
      .addSelect('l.recorded_at', 'recordedAt')
      .addSelect('l.actor_id', 'actorId')
      .where('l.customer_id = :customerId', { customerId })
      .orderBy('l.recorded_at')
      .addOrderBy('l.id')
      .getRawMany<ConsentExportRow>();
    return { preferences: preferences ?? null, consentLog };
  }
}
