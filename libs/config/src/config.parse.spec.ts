import { ConfigError, loadConfig } from '.';

/** No deployment file, no networks: only what the environment object says. */
const none = { DEVCHAIN_FILE: '' };

/** The error `loadConfig(env)` throws (fails the test when it does not throw a ConfigError). */
function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...none, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const c = loadConfig(none);
    expect(c).toMatchObject({
      env: 'development',
      logLevel: 'info',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/tollgate',
      databasePoolSize: 20,
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'tollgate',
      api: { host: '127.0.0.1', port: 4020, publicRateLimitPerMinute: 120, trustProxy: null },
      worker: { metricsPort: 4021, metricsHost: '127.0.0.1' },
      exposureGuard: true,
      verifySimulation: true,
      settleReverifyAfterSeconds: 60,
      history: { retentionDays: 90, partitionsAheadDays: 7, hotSeconds: 3600, moveIntervalMs: 60_000 },
      merchantRateLimitPerSecond: 0,
      networks: [],
      settlement: { maxBatchSize: 100, maxWaitMs: 2000, confirmedSettleTimeoutMs: 30000, maxAttempts: 5 },
    });
    // Secure admin cookies everywhere but on a developer's machine.
    expect(c.admin.cookieSecure).toBe(false);
    expect(loadConfig({ ...none, NODE_ENV: 'test' }).admin.cookieSecure).toBe(true);
  });

  it('production has no default webhook secret key: it must be set, and the error says how', () => {
    expect(errorOf({ NODE_ENV: 'production' }).message).toMatch(/^Invalid configuration: WEBHOOK_SECRET_KEY: required in production: .*openssl rand/);
  });

  it('an empty value (a `FOO=` line of .env.example) keeps the default', () => {
    expect(loadConfig({ ...none, API_PORT: '', DATABASE_POOL_SIZE: '', EXPOSURE_GUARD: '' })).toMatchObject({ api: { port: 4020 }, databasePoolSize: 20, exposureGuard: true });
  });

  it('values are parsed into their types', () => {
    expect(loadConfig({ ...none, API_PORT: '8080', EXPOSURE_GUARD: 'no', API_TRUST_PROXY: '2' })).toMatchObject({ api: { port: 8080, trustProxy: 2 }, exposureGuard: false });
    expect(loadConfig({ ...none, API_TRUST_PROXY: 'loopback' }).api.trustProxy).toBe('loopback');
  });
});

describe('loadConfig: a bad value is refused with one line naming the variable', () => {
  it.each([
    ['API_PORT', 'http'],
    ['API_PORT', '70000'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', '2.5'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['EXPOSURE_GUARD', 'maybe'],
    ['DATABASE_URL', 'not a url'],
    ['QUEUE_PREFIX', 'has space'],
    ['BATCH_MAX_SIZE', '1000'],
  ])('%s=%s', (variable, value) => {
    const e = errorOf({ [variable]: value });
    expect(e.variable).toBe(variable);
    expect(e.message).toMatch(new RegExp(`^Invalid configuration: ${variable}: \\S`));
    expect(e.message).not.toContain('\n');
  });

  it('the first bad variable is named when several are bad', () => {
    expect(errorOf({ API_PORT: 'x', LOG_LEVEL: 'loud' }).variable).toMatch(/^(API_PORT|LOG_LEVEL)$/);
  });

  it('NETWORKS: an id that is not CAIP-2, an unknown chain, a repeat — each named, saying why', () => {
    expect(errorOf({ NETWORKS: 'base' }).message).toBe('Invalid configuration: NETWORKS: "base" is not a CAIP-2 EVM network id like eip155:8453');
    expect(errorOf({ NETWORKS: 'eip155:1' }).message).toMatch(/^Invalid configuration: NETWORKS: eip155:1 has no known token registry/);
  });

  it('a network without its RPC URL names the per-network variable', () => {
    expect(errorOf({ NETWORKS: 'eip155:8453' }).message).toMatch(/^Invalid configuration: RPC_URL_8453: required for eip155:8453/);
    expect(errorOf({ NETWORKS: 'eip155:8453', RPC_URL_8453: 'nope' }).variable).toBe('RPC_URL_8453');
  });
});

describe('operator alert thresholds', () => {
  const base = { NODE_ENV: 'test', DEVCHAIN_FILE: '', NETWORKS: 'eip155:84532,eip155:8453', RPC_URL_84532: 'http://127.0.0.1:1', RPC_URL_8453: 'http://127.0.0.1:2' };

  it('WORKER_STALE_AFTER_SECONDS defaults to 30; RELAYER_LOW_BALANCE_WEI to 0.01 native, overridden per chain id', () => {
    const c = loadConfig({ ...base, RELAYER_LOW_BALANCE_WEI_8453: '5000000000000000' });
    expect(c.alerts).toEqual({ workerStaleAfterSeconds: 30, relayerLowBalanceWei: { 'eip155:84532': '10000000000000000', 'eip155:8453': '5000000000000000' } });
    expect(loadConfig({ ...base, WORKER_STALE_AFTER_SECONDS: '90', RELAYER_LOW_BALANCE_WEI: '0' }).alerts.workerStaleAfterSeconds).toBe(90);
  });

  it('names a bad value', () => {
    expect(() => loadConfig({ ...base, RELAYER_LOW_BALANCE_WEI_8453: '0.5' })).toThrow(/RELAYER_LOW_BALANCE_WEI_8453: expected a whole number of wei/);
    expect(() => loadConfig({ ...base, WORKER_STALE_AFTER_SECONDS: '1' })).toThrow(/WORKER_STALE_AFTER_SECONDS/);
  });
});
