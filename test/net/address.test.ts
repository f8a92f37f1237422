import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, parseHostLiteral } from '../../src/net/address.js';

describe('isForbiddenAddress', () => {
  const forbidden: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['10.0.0.5', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12 top'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['100.100.100.200', 'Alibaba metadata (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved class E'],
    ['192.0.0.192', 'Oracle metadata (192.0.0/24)'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::', 'IPv6 unspecified'],
    ['::1', 'IPv6 loopback'],
    ['[::1]', 'bracketed IPv6 loopback'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'AWS metadata over IPv6'],
    ['ff02::1', 'IPv6 multicast'],
    ['fec0::1', 'site-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata, hex'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::7f00:1', 'IPv4-compatible loopback'],
    ['::ffff:0:7f00:1', 'IPv4-translated loopback'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 metadata'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 loopback'],
    ['2002:a9fe:a9fe::', '6to4 metadata'],
    ['2001::1', 'Teredo'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['4000::1', 'outside 2000::/3'],
    ['2130706433', 'decimal loopback'],
    ['0x7f000001', 'hex loopback'],
    ['0177.0.0.1', 'octal loopback'],
    ['127.1', 'short loopback'],
    ['0', 'zero'],
    ['example.com', 'not an IP: fail closed'],
    ['', 'empty: fail closed'],
  ];
  it.each(forbidden)('%s is forbidden (%s)', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '[2606:4700::1111]',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ];
  it.each(allowed)('%s is allowed', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('parseHostLiteral', () => {
  const literals: [string, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['169.254.43518', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['4294967295', '255.255.255.255'],
    ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', '127.0.0.1'],
    ['127.0.0.%31', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:ffff:7f00:0001]', '::ffff:7f00:1'],
    ['FD00:EC2:0:0:0:0:0:254', 'fd00:ec2::254'],
  ];
  it.each(literals)('%s → %s', (host, canonical) => {
    expect(parseHostLiteral(host)).toBe(canonical);
  });

  it.each([
    'example.com',
    'acme.my.salesforce.com',
    'localhost',
    '1.2.3.09',
    '256.1.1.1',
    '4294967296',
    '1.2.3.4.5',
    '',
    'a:b',
  ])('%s is not an IP literal', (host) => {
    expect(parseHostLiteral(host)).toBeNull();
  });

  it('agrees with the WHATWG URL parser on decimal, hex and octal forms of any IPv4', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const dotted = new URL(`http://${n}/`).hostname;
        for (const form of [String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`]) {
          expect(parseHostLiteral(form)).toBe(dotted);
          expect(isForbiddenAddress(form)).toBe(isForbiddenAddress(dotted));
        }
      }),
      { numRuns: 500 },
    );
  });
});
