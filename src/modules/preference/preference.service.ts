import { actorId, Viewer } from '../../auth/viewer';
import { isUuid } from '../../common/ids';
import { jsonObject } from '../../common/json';
import type { RequestMeta } from '../../auth/actor';
import { Transactor } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { CustomerRepository } from '../customer/customer.repository';
import { CONSENT_CHANNELS, ConsentChannel, PreferencesRecord } from './preference.record';
import { PreferenceRepository } from './preference.repository';

export type PreferencesChange = Partial<Record<ConsentChannel, boolean | null>> & { custom?: Record<string, unknown> | null };

const CLIENT_SOURCES = new Set(['WEBSITE', 'MOBILE_APP']);

/** Where a consent was collected, for the consent log (proof of consent under GDPR Art. 7). */
export function consentSource(viewer: Viewer, meta: RequestMeta): string {
  if (viewer.kind === 'staff') return viewer.role === 'ADMIN' ? 'ADMIN' : 'API';
  return meta.clientSource && CLIENT_SOURCES.has(meta.clientSource) ? meta.clientSource : 'API';
}

export class PreferenceService {
  constructor(
    private readonly work: Transactor,
    private readonly preferences = new PreferenceRepository(),
    private readonly customers = new CustomerRepository(),
  ) {}

  /**
   * Applies the given flags and appends one consent record per flag that actually changed,
   * in one transaction with the customer's row and the preferences row locked (in that order, as
   * an erasure locks them), so concurrent updates cannot lose a record.
   */
  async update(customerId: string, change: PreferencesChange, viewer: Viewer, meta: RequestMeta): Promise<PreferencesRecord> {
    if (!isUuid(customerId)) throw DomainError.notFound('Customer');
    const custom = change.custom === undefined || change.custom === null ? null : jsonObject('input.custom', change.custom);
    return this.work.run({ viewer, meta }, async (w) => {
      const tx = w.tx;
      if (!(await this.customers.lockLiveId(tx, customerId))) throw DomainError.notFound('Customer');
      const current = await this.preferences.lockForUpdate(tx, customerId);
      if (!current) throw DomainError.notFound('Customer');

      const changed = CONSENT_CHANNELS.filter((ch) => typeof change[ch] === 'boolean' && change[ch] !== current[ch]);
      if (changed.length === 0 && custom === null) return current;

      const values = Object.fromEntries(changed.map((ch) => [ch, change[ch] === true])) as Partial<Record<ConsentChannel, boolean>>;
      const updated = await this.preferences.update(tx, customerId, values, custom);
      const oldValues: Record<string, unknown> = Object.fromEntries(changed.map((ch) => [ch, current[ch]]));
      const newValues: Record<string, unknown> = Object.fromEntries(changed.map((ch) => [ch, change[ch]]));
      if (custom !== null) {
        oldValues.custom = current.custom;
        newValues.custom = custom;
      }
      w.audit({ eventType: 'customer.preferences.update', customerId, resourceId: customerId, operation: 'update', oldValues, newValues });
      w.emit({ type: 'customer.preferences.updated', customerId, data: { customerId, changedFields: Object.keys(newValues) } });
      w.segmentsMayChange(customerId);
      await this.preferences.appendConsents(
        tx,
        customerId,
        changed.map((channel) => ({ channel, granted: change[channel] === true })),
        { source: consentSource(viewer, meta), ip: meta.ip, actorId: actorId(viewer) },
      );
      return updated;
    });
  }
}
