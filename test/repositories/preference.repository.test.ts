import type { PostgresDatabase } from '../../src/db/postgres';
import { CustomerRepository } from '../../src/modules/customer/customer.repository';
import { PreferenceRepository } from '../../src/modules/preference/preference.repository';
import { createCustomer, openRepositoryDatabase } from '../helpers/factories';

const preferences = new PreferenceRepository();
let db: PostgresDatabase;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openRepositoryDatabase());
});
afterAll(() => close());

const BY_CUSTOMER = { source: 'WEBSITE', ip: '198.51.100.7', actorId: null };

/** Appends consent records, one transaction per call (so their recorded_at differs). */
function append(customerId: string, ...changes: [channel: 'newsletter' | 'emailMarketing' | 'smsMarketing', granted: boolean][]) {
  return db.transaction((tx) =>
    preferences.appendConsents(
      tx,
      customerId,
      changes.map(([channel, granted]) => ({ channel, granted })),
      { ...BY_CUSTOMER, actorId: customerId },
    ),
  );
}

it('loads the preferences of many customers in one statement of one text; defaults are off but order updates', async () => {
  const a = await createCustomer(db);
  const b = await createCustomer(db);
  const none = await createCustomer(db, { withPreferences: false });
  const texts: string[] = [];
  const off = db.onStatement((t) => texts.push(t));
  const rows = await preferences.byCustomers(db, [a.id, b.id, none.id]);
  await preferences.byCustomers(db, [a.id]);
  off();
  expect(texts).toHaveLength(2);
  expect(texts[0]).toBe(texts[1]);
  expect(rows.map((r) => r.customerId).sort()).toEqual([a.id, b.id].sort());
  expect(rows.find((r) => r.customerId === a.id)).toEqual({
    customerId: a.id,
    emailMarketing: false,
    smsMarketing: false,
    pushNotifications: false,
    newsletter: false,
    dataSharing: false,
    analyticsTracking: false,
    cookieConsent: false,
    orderUpdates: true,
    promotionalEmails: false,
    custom: {},
    updatedAt: expect.any(Date),
  });
});

it('updates the given channels (and custom preferences unless null) under the customer’s and the row’s locks', async () => {
  const c = await createCustomer(db);
  const updated = await db.transaction(async (tx) => {
    expect(await new CustomerRepository().lockLiveId(tx, c.id)).toBe(true);
    const current = await preferences.lockForUpdate(tx, c.id);
    expect(current?.newsletter).toBe(false);
    return preferences.update(tx, c.id, { newsletter: true, smsMarketing: true }, { theme: 'dark' });
  });
  expect(updated).toMatchObject({ customerId: c.id, newsletter: true, smsMarketing: true, emailMarketing: false, custom: { theme: 'dark' } });
  const kept = await db.transaction((tx) => preferences.update(tx, c.id, { smsMarketing: false }, null));
  expect(kept).toMatchObject({ newsletter: true, smsMarketing: false, custom: { theme: 'dark' } });
});

it('finds no live customer to lock once they are deleted, and no preferences without a row', async () => {
  const gone = await createCustomer(db, { deletedAt: new Date(), status: 'DELETED' });
  const bare = await createCustomer(db, { withPreferences: false });
  await db.transaction(async (tx) => {
    expect(await new CustomerRepository().lockLiveId(tx, gone.id)).toBe(false);
    expect(await preferences.lockForUpdate(tx, bare.id)).toBeNull();
  });
});

it('appends consent records and reads the newest `first` of many customers in one statement', async () => {
  const a = await createCustomer(db);
  const b = await createCustomer(db);
  await append(a.id, ['newsletter', true], ['emailMarketing', true]);
  await append(a.id, ['newsletter', false]);
  await append(b.id, ['smsMarketing', true]);
  await db.transaction((tx) => preferences.appendConsents(tx, a.id, [], BY_CUSTOMER));

  const texts: string[] = [];
  const off = db.onStatement((t) => texts.push(t));
  const rows = await preferences.newestConsents(db, [a.id, b.id], 2);
  off();
  expect(texts).toHaveLength(1);
  const ofA = rows.filter((r) => r.customerId === a.id);
  expect(ofA).toHaveLength(2);
  expect(ofA[0]).toEqual({
    customerId: a.id,
    channel: 'newsletter',
    granted: false,
    source: 'WEBSITE',
    ipAddress: '198.51.100.7',
    actorId: a.id,
    recordedAt: expect.any(Date),
  });
  expect(rows.filter((r) => r.customerId === b.id).map((r) => [r.channel, r.granted])).toEqual([['smsMarketing', true]]);
  // The log only grows: three records of a, oldest first in the export.
  const { consentLog } = await preferences.exportPersonal(db, a.id);
  expect(consentLog.map((r) => [r.channel, r.granted])).toEqual([
    ['newsletter', true],
    ['emailMarketing', true],
    ['newsletter', false],
  ]);
});

it('erasePersonal turns every marketing consent off, clears custom preferences and the log’s IPs, and keeps the log', async () => {
  const c = await createCustomer(db);
  const other = await createCustomer(db);
  await db.transaction((tx) => preferences.update(tx, c.id, { newsletter: true, emailMarketing: true, orderUpdates: false }, { nick: 'x' }));
  await append(c.id, ['newsletter', true]);
  await append(other.id, ['newsletter', true]);

  await db.transaction((tx) => preferences.erasePersonal(tx, c.id));
  const { preferences: after, consentLog } = await preferences.exportPersonal(db, c.id);
  expect(after).toMatchObject({ newsletter: false, emailMarketing: false, custom: {} });
  // Transactional, not a consent: left as it was.
  expect(after?.orderUpdates).toBe(false);
  expect(consentLog).toEqual([{ channel: 'newsletter', granted: true, source: 'WEBSITE', ipAddress: null, recordedAt: expect.any(Date), actorId: c.id }]);
  expect((await preferences.exportPersonal(db, other.id)).consentLog[0].ipAddress).toBe('198.51.100.7');
});
