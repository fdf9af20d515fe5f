import { generatePrivateKey } from 'viem/accounts';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { startTestApi, startTestChain, type TestApi, type TestChain } from '@tollgate/testing';

const PRIVATE_KEY_LIKE = /0x[0-9a-fA-F]{64}/g;

/** Every 0x + 64-hex string anywhere in `value` (strings, arrays, objects, maps), by path. */
function keyLikeStrings(value: unknown, path = 'config', seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return (value.match(PRIVATE_KEY_LIKE) ?? []).map((m) => `${path}: ${m}`);
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if (Buffer.isBuffer(value)) return keyLikeStrings(`0x${value.toString('hex')}`, path, seen);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return entries.flatMap(([k, v]) => keyLikeStrings(v, `${path}.${String(k)}`, seen));
}

/**
 * The API faces the internet, so it must hold no key that can move funds: it starts without any relayer
 * key configured, and its configuration carries none even when the environment (a shared `.env`) or the
 * devchain file it reads does.
 */
describe('the API holds no relayer keys', () => {
  let chain: TestChain;
  const apis: TestApi[] = [];
  const envKey = generatePrivateKey();

  beforeAll(async () => {
    chain = await startTestChain();
  });
  afterAll(async () => {
    for (const a of apis) await a.stop();
    await chain?.devchain.anvil.stop();
  });

  it('starts with a configured network and no RELAYER_PRIVATE_KEYS_* at all', async () => {
    const api = await startTestApi({ chain, env: { NETWORKS: 'eip155:84532', RPC_URL_84532: 'http://127.0.0.1:9/rpc' } });
    apis.push(api);
    const config = api.app.get<TollgateConfig>(TOLLGATE_CONFIG);
    expect(config.networks.map((n) => n.network)).toEqual([chain.deployment.network, 'eip155:84532']);
    const supported: any = await (await fetch(`${api.baseUrl}/supported`)).json();
    expect(supported.kinds).toContainEqual({ x402Version: 2, scheme: 'exact', network: 'eip155:84532' });
    // No worker has registered a relayer yet, and the API cannot derive one.
    expect(supported.signers).toEqual({ 'eip155:*': [] });
  });

  it('keeps no private key material in its process-wide configuration', async () => {
    const api = await startTestApi({ chain, env: { NETWORKS: 'eip155:84532', RPC_URL_84532: 'http://127.0.0.1:9/rpc', RELAYER_PRIVATE_KEYS_84532: envKey } });
    apis.push(api);
    const config = api.app.get<TollgateConfig>(TOLLGATE_CONFIG);
    const keys = [envKey, ...chain.deployment.relayers.map((r) => r.privateKey)].map((k) => k.toLowerCase());
    const found = keyLikeStrings(config);
    expect(found.filter((f) => keys.some((k) => f.toLowerCase().includes(k)))).toEqual([]);
    // Nothing that looks like a key at all (the webhook key is a Buffer: scanned as hex too, it must differ).
    expect(found.filter((f) => !f.startsWith('config.webhooks.secretKey'))).toEqual([]);
  });
});
