import { actorId, Viewer } from '../../auth/viewer';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { RequestMeta } from '../../auth/actor';
import { Transactor } from '../../db/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { CHANNEL_COLUMN, CONSENT_CHANNELS, ConsentChannel, PREFERENCES_COLUMNS, PreferencesRecord } from './preference.record';

export type PreferencesChange = Partial<Record<ConsentChannel, boolean | null>> & { custom?: Record<string, unknown> | null };

const CLIENT_SOURCES = new Set(['WEBSITE', 'MOBILE_APP']);

/** Where a consent was collected, for the consent log (proof of consent under GDPR Art. 7). */
export function consentSource(viewer: Viewer, meta: RequestMeta): string {
  if (viewer.kind === 'staff') return viewer.role === 'ADMIN' ? 'ADMIN' : 'API';
  return meta.clientSource && CLIENT_SOURCES.has(meta.clientSource) ? meta.clientSource : 'API';
}

export class PreferenceService {
  constructor(private readonly work: Transactor) {}

  /**
   * Applies the given flags and appends one consent record per flag that actually changed,
   * in one transaction with the row locked, so concurrent updates cannot lose a record.
   */
  async update(customerId: string, change: PreferencesChange, viewer: Viewer, meta: RequestMeta): Promise<PreferencesRecord> {
    if (!isUuid(customerId)) throw DomainError.notFound('Customer');
    const custom = change.custom === undefined || change.custom === null ? null : jsonObject('input.custom', change.custom);
    return this.work.run({ viewer, meta }, async (w) => {
      const tx = w.tx;
      const [current] = await tx.query<PreferencesRecord>(
        `SELECT ${PREFERENCES_COLUMNS} FROM customer_preferences p
           JOIN customers c ON c.id = p.customer_id AND c.deleted_at IS NULL
          WHERE p.customer_id = $1 FOR NO KEY UPDATE OF p, c`,
        [customerId],
      );
      if (!current) throw DomainError.notFound('Customer');

      const changed = CONSENT_CHANNELS.filter((ch) => typeof change[ch] === 'boolean' && change[ch] !== current[ch]);
      if (changed.length === 0 && custom === null) return current;

      const sets = changed.map((ch, i) => `${CHANNEL_COLUMN[ch]} = $${i + 3}`);
      const [updated] = await tx.query<PreferencesRecord>(
        `UPDATE customer_preferences p SET ${[...sets, 'custom_preferences = coalesce($2::jsonb, custom_preferences)', 'updated_at = now()'].join(', ')}
          WHERE p.customer_id = $1 RETURNING ${PREFERENCES_COLUMNS}`,
        [customerId, custom === null ? null : JSON.stringify(custom), ...changed.map((ch) => change[ch])],
      );
      const oldValues: Record<string, unknown> = Object.fromEntries(changed.map((ch) => [ch, current[ch]]));
      const newValues: Record<string, unknown> = Object.fromEntries(changed.map((ch) => [ch, change[ch]]));
      if (custom !== null) {
        oldValues.custom = current.custom;
        newValues.custom = custom;
      }
      w.audit({ eventType: 'customer.preferences.update', customerId, resourceId: customerId, operation: 'update', oldValues, newValues });
      w.emit({ type: 'customer.preferences.updated', customerId, data: { customerId, changedFields: Object.keys(newValues) } });
      w.segmentsMayChange(customerId);
      if (changed.length > 0) {
        await tx.query(
          `INSERT INTO consent_log (customer_id, channel, granted, source, ip_address, actor_id)
           SELECT $1, ch, granted, $4, $5::inet, $6 FROM unnest($2::text[], $3::boolean[]) AS t(ch, granted)`,
          [customerId, changed, changed.map((ch) => change[ch]), consentSource(viewer, meta), meta.ip, actorId(viewer)],
        );
      }
      return updated;
    });
  }
}
