import { clientNetwork } from '../../src/auth/rate-limit';

describe('what a client counts under at the per-IP limit', () => {
  it('an IPv4 address as it is, an IPv4-mapped one as its IPv4 address', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('an IPv6 address by its /64, however it is written', () => {
    expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
  });

  it('anything else as it is (no address: "unknown" is the caller\'s)', () => {
    expect(clientNetwork('not an address')).toBe('not an address');
  });
});
