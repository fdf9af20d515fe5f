import { ConfigError, loadConfig, loadWorkerConfig } from '.';

const base = { DEVCHAIN_FILE: '', NETWORKS: 'eip155:84532,eip155:8453', RPC_URL_84532: 'https://sepolia.example', RPC_URL_8453: 'https://base.example', RELAYER_PRIVATE_KEYS_84532: `0x${'11'.repeat(32)}`, RELAYER_PRIVATE_KEYS_8453: `0x${'22'.repeat(32)}` };
const capOf = (env: Record<string, string>, network: string) => loadConfig({ ...base, ...env }).networks.find((n) => n.network === network)!.txGasCap;

describe('TX_GAS_CAP (per-transaction gas cap, per network)', () => {
  it('defaults to EIP-7825’s 2^24 on every network', () => {
    expect(capOf({}, 'eip155:84532')).toBe(16_777_216);
    expect(capOf({}, 'eip155:8453')).toBe(16_777_216);
  });

  it('TX_GAS_CAP sets it for every network, TX_GAS_CAP_<chainId> for one', () => {
    expect(capOf({ TX_GAS_CAP: '30000000' }, 'eip155:8453')).toBe(30_000_000);
    expect(capOf({ TX_GAS_CAP: '30000000', TX_GAS_CAP_84532: '5000000' }, 'eip155:84532')).toBe(5_000_000);
    expect(capOf({ TX_GAS_CAP: '30000000', TX_GAS_CAP_84532: '5000000' }, 'eip155:8453')).toBe(30_000_000);
  });

  it.each([
    ['TX_GAS_CAP', '99999'],
    ['TX_GAS_CAP', 'lots'],
    ['TX_GAS_CAP_84532', '1500000.5'],
    ['TX_GAS_CAP_84532', '0'],
  ])('refuses %s=%s at start-up, naming the variable', (variable, value) => {
    expect(() => loadConfig({ ...base, [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable}:`));
  });
});

describe('relayer keys are the worker’s configuration only', () => {
  const noKeys = { DEVCHAIN_FILE: '', NETWORKS: 'eip155:84532', RPC_URL_84532: 'https://sepolia.example' };

  it('loadConfig neither requires nor keeps RELAYER_PRIVATE_KEYS_*', () => {
    expect(loadConfig(noKeys).networks.map((n) => n.network)).toEqual(['eip155:84532']);
    expect(JSON.stringify(loadConfig({ ...noKeys, RELAYER_PRIVATE_KEYS_84532: `0x${'11'.repeat(32)}` }))).not.toContain('11'.repeat(32));
  });

  it('loadWorkerConfig requires them, naming the variable, and keeps them per network', () => {
    expect(() => loadWorkerConfig(noKeys)).toThrow(/^Invalid configuration: RELAYER_PRIVATE_KEYS_84532: required for eip155:84532/);
    expect(() => loadWorkerConfig({ ...noKeys, RELAYER_PRIVATE_KEYS_84532: '0x1234' })).toThrow(/^Invalid configuration: RELAYER_PRIVATE_KEYS_84532:/);
    expect(loadWorkerConfig({ ...noKeys, RELAYER_PRIVATE_KEYS_84532: `0x${'11'.repeat(32)}` }).relayerKeys).toEqual({ 'eip155:84532': [`0x${'11'.repeat(32)}`] });
  });
});
