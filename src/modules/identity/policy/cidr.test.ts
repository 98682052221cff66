import { describe, expect, it } from 'vitest';
import { allowlistContains, parseAllowlist, parseCidr, parseIp } from './cidr';

describe('IP allowlists', () => {
  const { networks } = parseAllowlist('10.0.0.0/8\n192.168.1.7 # the office printer\n2001:db8:abcd::/48, ::1');

  it.each([
    ['10.20.30.40', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.1.2.3', true],
    ['2001:db8:abcd:12::5', true],
    ['2001:db8:abce::5', false],
    ['::1', true],
    ['fe80::1%eth0', false],
    [null, false],
    ['not an ip', false],
  ])('%s inside: %s', (ip, inside) => {
    expect(allowlistContains(networks, ip)).toBe(inside);
  });

  it('explains every bad line', () => {
    const { errors } = parseAllowlist('10.0.0.0/8\n10.0.0.300/8\n10.0.0.0/33\n2001:db8::/129\nexample.com\n1.2.3.4/5/6');
    expect(errors).toEqual([
      'Line 2: "10.0.0.300/8" is not an IPv4 or IPv6 address with an optional /prefix (like 10.0.0.0/8 or 2001:db8::/32).',
      'Line 3: "10.0.0.0/33": the prefix must be a number from 0 to 32 for IPv4.',
      'Line 4: "2001:db8::/129": the prefix must be a number from 0 to 128 for IPv6.',
      'Line 5: "example.com" is not an IPv4 or IPv6 address with an optional /prefix (like 10.0.0.0/8 or 2001:db8::/32).',
      'Line 6: "1.2.3.4/5/6" has more than one "/".',
    ]);
  });

  it('reads IPv6 forms alike', () => {
    expect(parseIp('2001:db8::1')).toEqual(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001'));
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ version: 4, value: 0xc0000201n });
    const any6 = parseCidr('::/0');
    expect('error' in any6).toBe(false);
    expect(allowlistContains([any6 as never], '2001:db8::1')).toBe(true);
    expect(allowlistContains([any6 as never], '192.0.2.1')).toBe(false);
  });
});
