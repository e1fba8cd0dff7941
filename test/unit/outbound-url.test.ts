/**
 * The outbound-URL check (server-side request forgery): each kind of address that is not public
 * refused, by name and by literal in its many spellings, IPv6 forms that carry an IPv4 address,
 * every resolved address counted, public ones accepted, and local development let through.
 */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, notPublic, type Resolve } from '../../shared/adapters/http/outbound-url.ts';

/** A resolver that answers these addresses for every name. */
const resolvesTo =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses.map((address) => ({ address, family: isIP(address) }));

const check = (url: string, lookup: Resolve = resolvesTo('93.184.215.14')) =>
  checkOutboundUrl(url, { allowPrivate: false, lookup });

const NOT_PUBLIC: readonly (readonly [string, string])[] = [
  ['127.0.0.1', 'a loopback address'],
  ['127.255.0.9', 'a loopback address'],
  ['::1', 'a loopback address'],
  ['0.0.0.0', 'an unspecified address'],
  ['0.12.0.1', 'an unspecified address'],
  ['::', 'an unspecified address'],
  ['169.254.169.254', 'the cloud metadata address'],
  ['fd00:ec2::254', 'the cloud metadata address'],
  ['169.254.10.1', 'a link-local address'],
  ['fe80::1', 'a link-local address'],
  ['febf::1', 'a link-local address'],
  ['10.1.2.3', 'a private address'],
  ['172.16.0.1', 'a private address'],
  ['172.31.255.255', 'a private address'],
  ['192.168.1.1', 'a private address'],
  ['fc00::1', 'a private address'],
  ['fd12:3456::1', 'a private address'],
  ['100.64.0.1', 'a carrier-grade NAT (shared) address'],
  ['100.127.255.254', 'a carrier-grade NAT (shared) address'],
  ['224.0.0.1', 'a multicast address'],
  ['239.255.255.250', 'a multicast address'],
  ['ff02::1', 'a multicast address'],
  ['240.0.0.1', 'a reserved address'],
  ['255.255.255.255', 'a reserved address'],
  ['192.0.2.1', 'a reserved address'],
  ['2001:db8::1', 'a reserved address'],
];

const PUBLIC = [
  '93.184.215.14',
  '8.8.8.8',
  '1.1.1.1',
  '172.15.255.255',
  '172.32.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '169.253.0.1',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
];

describe('notPublic', () => {
  it.each(NOT_PUBLIC)('names %s as %s', (address, label) => {
    expect(notPublic(address)).toBe(`${address}, ${label}`);
  });

  it.each(PUBLIC)('passes %s', (address) => {
    expect(notPublic(address)).toBeUndefined();
  });

  it('sees the IPv4 address inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses', () => {
    expect(notPublic('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1 (IPv4 127.0.0.1), a loopback address');
    expect(notPublic('::ffff:7f00:1')).toBe('::ffff:7f00:1 (IPv4 127.0.0.1), a loopback address');
    expect(notPublic('::ffff:0:a00:1')).toBe('::ffff:0:a00:1 (IPv4 10.0.0.1), a private address');
    expect(notPublic('64:ff9b::a9fe:a9fe')).toBe(
      '64:ff9b::a9fe:a9fe (IPv4 169.254.169.254), the cloud metadata address',
    );
    expect(notPublic('2002:c0a8:101::1')).toBe('2002:c0a8:101::1 (IPv4 192.168.1.1), a private address');
    expect(notPublic('::127.0.0.1')).toBe('::127.0.0.1, a reserved address');
  });

  it('reads a link-local address with its zone, and refuses what is not an address', () => {
    expect(notPublic('fe80::1%eth0')).toBe('fe80::1%eth0, a link-local address');
    expect(notPublic('example.com')).toBe('example.com, which is not an IP address');
  });
});

describe('checkOutboundUrl', () => {
  it('accepts a host that resolves to public addresses only, and answers them to pin', async () => {
    expect(await check('https://shop.example/hooks', resolvesTo('93.184.215.14', '2606:4700::1'))).toEqual({
      ok: true,
      addresses: ['93.184.215.14', '2606:4700::1'],
    });
  });

  it.each(NOT_PUBLIC)('refuses a host resolving to %s (%s)', async (address, label) => {
    expect(await check('https://shop.example/hooks', resolvesTo(address))).toEqual({
      ok: false,
      reason: `the URL's host resolves to ${address}, ${label}`,
    });
  });

  it('refuses when any one of the addresses is not public', async () => {
    expect(await check('https://shop.example/', resolvesTo('8.8.8.8', '10.0.0.5'))).toEqual({
      ok: false,
      reason: "the URL's host resolves to 10.0.0.5, a private address",
    });
    expect(
      await check('https://shop.example/', resolvesTo('2606:4700::1', '::ffff:169.254.169.254')),
    ).toEqual({
      ok: false,
      reason:
        "the URL's host resolves to ::ffff:169.254.169.254 (IPv4 169.254.169.254), the cloud metadata address",
    });
  });

  it('refuses literal addresses in every spelling the URL parser reads, without resolving', async () => {
    const lookup: Resolve = async () => {
      throw new Error('a literal address is not resolved');
    };
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080/', '127.0.0.1, a loopback address'],
      ['http://2130706433/', '127.0.0.1, a loopback address'],
      ['http://0x7f.1/', '127.0.0.1, a loopback address'],
      ['http://017700000001/', '127.0.0.1, a loopback address'],
      ['http://0/', '0.0.0.0, an unspecified address'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254, the cloud metadata address'],
      ['http://[::1]/', '::1, a loopback address'],
      ['http://[::]/', '::, an unspecified address'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (IPv4 127.0.0.1), a loopback address'],
      ['http://[fe80::1]/', 'fe80::1, a link-local address'],
      ['http://[fd00:ec2::254]/', 'fd00:ec2::254, the cloud metadata address'],
      ['https://10.0.0.1/', '10.0.0.1, a private address'],
    ];
    for (const [url, reason] of cases)
      expect(await checkOutboundUrl(url, { allowPrivate: false, lookup }), url).toEqual({
        ok: false,
        reason: `the URL's host is ${reason}`,
      });
    expect(await checkOutboundUrl('https://8.8.8.8/', { allowPrivate: false, lookup })).toEqual({
      ok: true,
      addresses: ['8.8.8.8'],
    });
    expect(await checkOutboundUrl('https://[2606:4700::1111]/', { allowPrivate: false, lookup })).toEqual({
      ok: true,
      addresses: ['2606:4700::1111'],
    });
  });

  it('refuses localhost names whatever they resolve to', async () => {
    for (const url of ['http://localhost/', 'http://LOCALHOST./', 'http://api.localhost:3000/'])
      expect((await check(url)).ok, url).toBe(false);
    expect(await check('http://localhost/')).toEqual({
      ok: false,
      reason: "the URL's host localhost is this machine (a localhost name)",
    });
  });

  it('refuses a host that does not resolve, and URLs that are not http or https', async () => {
    const missing: Resolve = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await check('https://nowhere.example/', missing)).toEqual({
      ok: false,
      reason: "the URL's host nowhere.example did not resolve (ENOTFOUND)",
    });
    expect(await check('https://nowhere.example/', resolvesTo())).toEqual({
      ok: false,
      reason: "the URL's host nowhere.example did not resolve",
    });
    expect(await check('file:///etc/passwd')).toEqual({
      ok: false,
      reason: "the URL's scheme file: is not http or https",
    });
    expect((await check('gopher://shop.example/')).ok).toBe(false);
    expect((await check('not a url')).ok).toBe(false);
  });

  it('lets every address through in local development', async () => {
    const local = { allowPrivate: true, lookup: resolvesTo('127.0.0.1', '::1') };
    expect(await checkOutboundUrl('http://localhost:4000/hooks', local)).toEqual({
      ok: true,
      addresses: ['127.0.0.1', '::1'],
    });
    expect(await checkOutboundUrl('http://169.254.169.254/', local)).toEqual({
      ok: true,
      addresses: ['169.254.169.254'],
    });
    expect(await checkOutboundUrl('http://receiver.internal/', local)).toEqual({
      ok: true,
      addresses: ['127.0.0.1', '::1'],
    });
  });

  it('resolves with the system resolver when none is given', async () => {
    const result = await checkOutboundUrl('http://localhost/', { allowPrivate: true });
    expect(result.ok).toBe(true);
  });
});
