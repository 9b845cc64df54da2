import { AddressType } from '../../src/common/enums';
import { IdLookups } from '../../src/db/id-lookups';
import type { PostgresDatabase } from '../../src/db/postgres';
import { addressProperties } from '../../src/modules/address/address.record';
import { AddressRepository } from '../../src/modules/address/address.repository';
import { createAddress, createCustomer, openRepositoryDatabase } from '../helpers/factories';

const addresses = new AddressRepository();
let db: PostgresDatabase;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openRepositoryDatabase());
});
afterAll(() => close());

async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const off = db.onStatement((text) => texts.push(text));
  try {
    await fn();
  } finally {
    off();
  }
  return texts;
}

describe('batched reads', () => {
  it('loads live addresses by id in one statement of one text whatever the number of ids', async () => {
    const c = await createCustomer(db);
    const a = await createAddress(db, c.id);
    const b = await createAddress(db, c.id, { type: AddressType.BILLING });
    const gone = await createAddress(db, c.id);
    await db.transaction((tx) => addresses.softDelete(tx, gone.id));

    let found: Awaited<ReturnType<AddressRepository['liveByIds']>> = [];
    const texts = await statementsOf(async () => {
      found = await addresses.liveByIds(db, [a.id, b.id, gone.id]);
      await addresses.liveByIds(db, [a.id]);
    });
    expect(texts).toHaveLength(2);
    expect(texts[0]).toBe(texts[1]);
    expect(found.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(found.find((r) => r.id === a.id)).toEqual(a);
  });

  it('lists many customers’ live addresses, defaults first then newest, selecting only the asked properties', async () => {
    const c = await createCustomer(db);
    const d = await createCustomer(db);
    const older = await createAddress(db, c.id);
    const def = await createAddress(db, c.id, { isDefault: true, city: 'Delft' });
    const newer = await createAddress(db, c.id);
    const deleted = await createAddress(db, c.id);
    await db.transaction((tx) => addresses.softDelete(tx, deleted.id));
    const theirs = await createAddress(db, d.id);

    const properties = addressProperties(new Set(['city']));
    const lookups = new IdLookups(db);
    let byCustomer = new Map<string, readonly unknown[]>();
    const texts = await statementsOf(async () => {
      byCustomer = new Map(await addresses.liveByCustomers(lookups, properties, [c.id, d.id]));
    });
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toMatch(/metadata|created_at AS/);
    expect(byCustomer.get(c.id)).toEqual([
      { id: def.id, customerId: c.id, type: 'SHIPPING', city: 'Delft', isDefault: true },
      { id: newer.id, customerId: c.id, type: 'SHIPPING', city: 'Rotterdam', isDefault: false },
      { id: older.id, customerId: c.id, type: 'SHIPPING', city: 'Rotterdam', isDefault: false },
    ]);
    expect(byCustomer.get(d.id)).toEqual([{ id: theirs.id, customerId: d.id, type: 'SHIPPING', city: 'Rotterdam', isDefault: false }]);
  });
});

describe('defaults', () => {
  it('moves the default of a type: current default, clear, make default', async () => {
    const c = await createCustomer(db);
    const first = await createAddress(db, c.id, { isDefault: true });
    const second = await createAddress(db, c.id);
    const billing = await createAddress(db, c.id, { type: AddressType.BILLING, isDefault: true });

    expect(await addresses.currentDefault(db, c.id, AddressType.SHIPPING)).toEqual(first);
    expect(await addresses.countLive(db, c.id, AddressType.SHIPPING)).toEqual({ n: 3, hasDefault: true });

    const made = await db.transaction(async (tx) => {
      await addresses.clearDefault(tx, c.id, AddressType.SHIPPING);
      return addresses.makeDefault(tx, second.id);
    });
    expect(made).toMatchObject({ id: second.id, isDefault: true });
    expect(made.updatedAt.getTime()).toBeGreaterThanOrEqual(second.updatedAt.getTime());
    expect((await addresses.currentDefault(db, c.id, AddressType.SHIPPING))?.id).toBe(second.id);
    // The other type's default is untouched.
    expect((await addresses.currentDefault(db, c.id, AddressType.BILLING))?.id).toBe(billing.id);
    expect((await addresses.findLive(db, first.id))?.isDefault).toBe(false);
  });

  it('promotes the newest other live address when the default is deleted, and none when none is left', async () => {
    const c = await createCustomer(db);
    const oldest = await createAddress(db, c.id);
    const newest = await createAddress(db, c.id);
    const def = await createAddress(db, c.id, { isDefault: true });

    const promoted = await db.transaction(async (tx) => {
      await addresses.softDelete(tx, def.id);
      return addresses.promoteNewest(tx, c.id, AddressType.SHIPPING);
    });
    expect(promoted).toMatchObject({ id: newest.id, isDefault: true });
    expect(await addresses.findLive(db, def.id)).toBeNull();
    expect(await addresses.countLive(db, c.id, AddressType.SHIPPING)).toEqual({ n: 2, hasDefault: true });

    await db.transaction(async (tx) => {
      await addresses.softDelete(tx, newest.id);
      await addresses.softDelete(tx, oldest.id);
    });
    expect(await db.transaction((tx) => addresses.promoteNewest(tx, c.id, AddressType.SHIPPING))).toBeNull();
    expect(await addresses.countLive(db, c.id, AddressType.SHIPPING)).toEqual({ n: 0, hasDefault: false });
  });
});

describe('look-ups', () => {
  it('finds the same place case-insensitively (label aside), and an address only for its owner', async () => {
    const c = await createCustomer(db);
    const other = await createCustomer(db);
    const a = await createAddress(db, c.id, { addressLine1: '7 Canal Street', label: 'home' });
    const fields = {
      firstName: null,
      lastName: null,
      company: null,
      addressLine1: '7 CANAL street',
      addressLine2: null,
      city: 'rotterdam',
      stateProvince: null,
      postalCode: '3011 AA',
      countryCode: 'NL',
      phone: null,
      label: 'work',
    };
    expect((await addresses.findSame(db, c.id, AddressType.SHIPPING, fields))?.id).toBe(a.id);
    expect(await addresses.findSame(db, c.id, AddressType.BILLING, fields)).toBeNull();
    expect(await addresses.findSame(db, c.id, AddressType.SHIPPING, { ...fields, postalCode: '3011 AB' })).toBeNull();
    expect((await addresses.findLive(db, a.id, c.id))?.id).toBe(a.id);
    expect(await addresses.findLive(db, a.id, other.id)).toBeNull();
  });

  it('updates every client field and the metadata, returning the record', async () => {
    const c = await createCustomer(db);
    const a = await createAddress(db, c.id);
    const { id: _id, customerId: _c, type: _t, isDefault: _d, isVerified: _v, metadata: _m, createdAt: _ca, updatedAt: _u, ...fields } = a;
    const row = await db.transaction((tx) => addresses.update(tx, a.id, { ...fields, city: 'Utrecht', label: null }, { floor: 3 }));
    expect(row).toEqual({ ...a, city: 'Utrecht', metadata: { floor: 3 }, updatedAt: expect.any(Date) });
  });
});

describe('GDPR', () => {
  it('exports every address held, deleted ones too; erasePersonal removes them all, and only that customer’s', async () => {
    const c = await createCustomer(db);
    const other = await createCustomer(db);
    const live = await createAddress(db, c.id, { isDefault: true });
    const deleted = await createAddress(db, c.id);
    await db.transaction((tx) => addresses.softDelete(tx, deleted.id));
    const theirs = await createAddress(db, other.id);

    const exported = await addresses.exportPersonal(db, c.id);
    expect(exported.map((r) => [r.id, r.deletedAt === null])).toEqual([
      [live.id, true],
      [deleted.id, false],
    ]);
    expect(exported[0]).toEqual({ ...live, deletedAt: null });

    await db.transaction((tx) => addresses.erasePersonal(tx, c.id));
    expect(await addresses.exportPersonal(db, c.id)).toEqual([]);
    expect((await addresses.liveByIds(db, [theirs.id])).map((r) => r.id)).toEqual([theirs.id]);
  });
});
