import { isNonPublicAddress, WebhookUrlError, WebhookUrlPolicy } from './url-policy';

describe('isNonPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '2002:c0a8:0101::1',
    'not-an-ip',
  ])('refuses %s', (ip) => expect(isNonPublicAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'])('accepts %s', (ip) =>
    expect(isNonPublicAddress(ip)).toBe(false),
  );
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
