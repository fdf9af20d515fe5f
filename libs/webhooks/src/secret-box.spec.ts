import { randomBytes } from 'node:crypto';
import { loadConfig } from '@tollgate/config';
import { SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const a = box.seal('whsec_abc', 'endpoint-1');
    const b = box.seal('whsec_abc', 'endpoint-1');
    expect(a).not.toEqual(b);
    expect(a).not.toContain('whsec_abc');
    expect(box.open(a, 'endpoint-1')).toBe('whsec_abc');
  });

  it('refuses another context, another key, and any tampering', () => {
    const sealed = box.seal('whsec_abc', 'endpoint-1');
    expect(() => box.open(sealed, 'endpoint-2')).toThrow(SecretBoxError);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'endpoint-1')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[0] ^= 1;
    expect(() => box.open([...parts.slice(0, 3), ct.toString('base64url')].join('.'), 'endpoint-1')).toThrow(SecretBoxError);
    expect(() => box.open('v2.x.y.z', 'endpoint-1')).toThrow(/format/);
  });

  it('configuration: hex or base64 key; a development default outside production; required in production', () => {
    const hex = randomBytes(32);
    expect(loadConfig({ DEVCHAIN_FILE: '', WEBHOOK_SECRET_KEY: hex.toString('hex') }).webhooks.secretKey.equals(hex)).toBe(true);
    expect(loadConfig({ DEVCHAIN_FILE: '', WEBHOOK_SECRET_KEY: hex.toString('base64') }).webhooks.secretKey.equals(hex)).toBe(true);
    expect(() => loadConfig({ DEVCHAIN_FILE: '', WEBHOOK_SECRET_KEY: 'c2hvcnQ=' })).toThrow(/WEBHOOK_SECRET_KEY: expected 32 bytes/);
    const dev = loadConfig({ DEVCHAIN_FILE: '', NODE_ENV: 'development' }).webhooks;
    expect(dev.secretKeySource).toBe('development-default');
    expect(dev.secretKey).toHaveLength(32);
    expect(() => loadConfig({ DEVCHAIN_FILE: '', NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET_KEY: required in production/);
  });
});
