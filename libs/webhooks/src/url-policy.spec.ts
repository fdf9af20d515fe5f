import { isNonPublicAddress, WebhookUrlError, WebhookUrlPolicy } from './url-policy';

describe('isNonPublicAddress', () => {
  // [address, what it is] — one or more per range of the IANA IPv4/IPv6 special-purpose registries.
  const refused: Array<[string, string]> = [
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'shared address space (CGN)'],
    ['100.127.255.255', 'shared address space (CGN)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.0.170', 'NAT64/DNS64 discovery'],
    ['192.0.2.1', 'documentation TEST-NET-1'],
    ['192.31.196.1', 'AS112-v4'],
    ['192.52.193.1', 'AMT'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.168.1.1', 'private'],
    ['192.175.48.1', 'direct delegation AS112'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.1', 'documentation TEST-NET-2'],
    ['203.0.113.1', 'documentation TEST-NET-3'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated), even of a public address'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped, hex'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata address'],
    ['::ffff:8.8.8.8', 'IPv4-mapped, even of a public address'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated'],
    ['::ffff:0:808:808', 'IPv4-translated'],
    ['64:ff9b::10.0.0.1', 'NAT64 well-known prefix'],
    ['64:ff9b::8.8.8.8', 'NAT64 well-known prefix, even of a public address'],
    ['64:ff9b:1::7f00:1', 'NAT64 local-use prefix'],
    ['64:ff9b:1:ffff::1', 'NAT64 local-use prefix'],
    ['100::1', 'discard-only'],
    ['2001::1', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:1::1', 'IETF protocol assignments (2001::/23)'],
    ['2001:2::1', 'benchmarking'],
    ['2001:3::1', 'AMT'],
    ['2001:4:112::1', 'AS112-v6'],
    ['2001:10::1', 'ORCHID (deprecated)'],
    ['2001:20::1', 'ORCHIDv2'],
    ['2001:30::1', 'drone remote ID tags'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4 embedding loopback'],
    ['2002:c0a8:0101::1', '6to4 embedding a private address'],
    ['2002:a9fe:a9fe::1', '6to4 embedding link-local'],
    ['2620:4f:8000::1', 'AS112 direct delegation'],
    ['3fff::1', 'documentation (RFC 9637)'],
    ['5f00::1', 'SRv6 SIDs'],
    ['fc00::1', 'unique-local'],
    ['fd00::1', 'unique-local'],
    ['fec0::1', 'site-local (deprecated)'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'outside global unicast 2000::/3'],
    ['not-an-ip', 'not an address'],
    ['127.1', 'not a strict literal'],
    ['0x7f.0.0.1', 'not a strict literal'],
    ['', 'empty'],
  ];
  it.each(refused)('refuses %s (%s)', (ip) => expect(isNonPublicAddress(ip)).toBe(true));

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '192.0.3.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '2002:808:808::1', // 6to4 embedding a public IPv4 address
  ])('accepts %s', (ip) => expect(isNonPublicAddress(ip)).toBe(false));
});

describe('WebhookUrlPolicy', () => {
  const resolver = (map: Record<string, string[]>) => async (host: string) => {
    const a = map[host];
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return a;
  };
  const strict = new WebhookUrlPolicy({
    httpAllowlist: ['localhost', '127.0.0.1'],
    allowPrivateAddresses: false,
    resolve: resolver({ 'hooks.example.com': ['93.184.216.34'], 'sneaky.example.com': ['93.184.216.34', '10.0.0.5'], localhost: ['127.0.0.1'] }),
  });

  it('accepts https to a public host', async () => {
    await expect(strict.check('https://hooks.example.com/x?y=1')).resolves.toBeInstanceOf(URL);
  });

  it.each([
    ['http://hooks.example.com/x', /https/],
    ['ftp://hooks.example.com/x', /https/],
    ['https://user:pw@hooks.example.com/x', /credentials/],
    ['https://hooks.example.com/x#frag', /fragment/],
    ['not a url', /absolute URL/],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, /at most 2048/],
  ])('refuses %s by syntax', async (url, why) => {
    await expect(strict.check(url)).rejects.toThrow(why);
  });

  it('refuses hosts resolving (even partly) to private addresses, and IP literals', async () => {
    await expect(strict.check('https://sneaky.example.com/')).rejects.toThrow(/private.*10\.0\.0\.5/);
    await expect(strict.check('https://169.254.169.254/latest/meta-data')).rejects.toThrow(WebhookUrlError);
    await expect(strict.check('https://[::1]:8443/')).rejects.toThrow(/private/);
  });

  it.each(['https://[::127.0.0.1]/', 'https://[::ffff:0:127.0.0.1]/', 'https://[64:ff9b:1::7f00:1]/', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'https://[2002:7f00:1::1]/'])(
    'refuses the IPv6 literal %s',
    async (url) => {
      await expect(strict.check(url)).rejects.toThrow(WebhookUrlError);
    },
  );

  it('refuses a host whose AAAA record is a translated loopback address', async () => {
    const p = new WebhookUrlPolicy({ httpAllowlist: [], allowPrivateAddresses: false, resolve: resolver({ 'v6.example.com': ['2606:4700::1', '::ffff:0:7f00:1'] }) });
    await expect(p.check('https://v6.example.com/')).rejects.toThrow(/::ffff:0:7f00:1/);
  });

  it('allows http only for allowlisted hosts, and loopback only when private addresses are allowed', async () => {
    await expect(strict.check('http://localhost:3000/hook')).rejects.toThrow(/private/);
    const dev = new WebhookUrlPolicy({ httpAllowlist: ['127.0.0.1'], allowPrivateAddresses: true, resolve: resolver({}) });
    await expect(dev.check('http://127.0.0.1:3000/hook')).resolves.toBeInstanceOf(URL);
    await expect(dev.check('http://localhost:3000/hook')).rejects.toThrow(/https/);
  });

  it('names a host that does not resolve', async () => {
    await expect(strict.check('https://nowhere.example.com/')).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });
});
