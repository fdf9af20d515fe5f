import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { solanaSettings } from './svm-networks';
import { loadSolanaFeePayerKeys } from './svm-fee-payer-keys';

/**
 * The one place that reads `process.env`. Every other module receives a typed {@link TollgateConfig}.
 *
 * Per-network settings use the chain id as suffix, e.g. `RPC_URL_84532`, `CONFIRMATIONS_84532`, so several
 * networks can be served by one deployment.
 *
 * Relayer private keys are not part of {@link TollgateConfig}: only the worker reads them, through
 * {@link loadWorkerConfig}. The API (which faces the internet) never parses `RELAYER_PRIVATE_KEYS_*` nor the
 * devchain file's keys, so no process it runs holds a key that can move funds.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex private key');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address');

/**
 * Bounds of the per-transaction gas cap: below ~100k not even one `transferWithAuthorization` (≈ 60k
 * used, padded) would fit; above 2^30 is no chain's block, let alone a transaction.
 */
const MIN_TX_GAS_CAP = 100_000;
const MAX_TX_GAS_CAP = 1_073_741_824;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/tollgate'),
  DATABASE_POOL_SIZE: int(1, 200).default(20),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]+$/).default('tollgate'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: int(0, 65535).default(4020),
  API_TRUST_PROXY: z
    .string()
    .regex(/^$|^\d{1,2}$|^[\w.:/]+(,[\w.:/]+)*$/, 'a hop count, or comma-separated addresses, subnets or loopback/linklocal/uniquelocal')
    .default(''),
  WORKER_METRICS_PORT: int(0, 65535).default(4021),
  DEVCHAIN_FILE: z.string().default('.devchain/deployment.json'),
  NETWORKS: z.string().default(''),
  SETTLEMENT_WINDOW_SECONDS: int(0, 86400).default(30),
  EXPOSURE_GUARD: bool.default('true'),
  VERIFY_SIMULATION: bool.default('true'),
  SETTLE_REVERIFY_AFTER_SECONDS: int(0, 86400).default(60),
  CONFIRMED_SETTLE_TIMEOUT_MS: int(100, 600000).default(30000),
  BATCH_MAX_SIZE: int(1, 250).default(100),
  BATCH_MAX_WAIT_MS: int(0, 600000).default(2000),
  BATCH_DEADLINE_MARGIN_SECONDS: int(1, 3600).default(20),
  BATCH_GAS_PADDING_PERCENT: int(0, 500).default(30),
  // EIP-7825 (Osaka) caps one transaction's gas limit at 2^24; a chain enforcing it refuses anything above.
  TX_GAS_CAP: int(MIN_TX_GAS_CAP, MAX_TX_GAS_CAP).default(16_777_216),
  TX_REPLACE_AFTER_MS: int(500, 3600000).default(15000),
  TX_MAX_FEE_GWEI: z.coerce.number().positive().default(200),
  TX_MAX_REPLACEMENTS: int(0, 50).default(8),
  SWEEP_INTERVAL_MS: int(100, 3600000).default(5000),
  PUBLIC_RATE_LIMIT_PER_MINUTE: int(1, 1000000).default(120),
  BATCH_TICK_MS: int(10, 60000).default(200),
  RELAYER_MAX_IN_FLIGHT: int(1, 64).default(4),
  RELAYER_WEDGED_AFTER_MS: int(1000, 86400000).default(60000),
  SETTLEMENT_MAX_ATTEMPTS: int(1, 100).default(5),
  TX_POLL_MS: int(50, 60000).default(500),
  // Delay before each delivery attempt (the first is relative to the event, later ones to the previous attempt):
  // immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts spanning about 27.6 h.
  WEBHOOK_RETRY_SCHEDULE_MS: z.string().default('0,5000,300000,1800000,7200000,18000000,36000000,36000000'),
  WEBHOOK_TIMEOUT_MS: int(100, 60000).default(5000),
  WEBHOOK_DISABLE_AFTER_MS: int(0, 30 * 86400000).default(86400000),
  WEBHOOK_HTTP_ALLOWLIST: z.string().default(''),
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: bool.default('false'),
  WEBHOOK_SECRET_KEY: z.string().optional(),
  WEBHOOK_SWEEP_INTERVAL_MS: int(50, 3600000).default(1000),
  WEBHOOK_CONCURRENCY: int(1, 256).default(16),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  ADMIN_SESSION_TTL_MINUTES: int(5, 7 * 24 * 60).default(480),
  ADMIN_SESSION_IDLE_MINUTES: int(1, 24 * 60).default(60),
  ADMIN_COOKIE_SECURE: bool.optional(),
  ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 100000).default(20),
  ADMIN_LOGIN_MAX_FAILURES_PER_USER: int(1, 1000).default(5),
  ADMIN_LOGIN_WINDOW_SECONDS: int(10, 24 * 3600).default(900),
  ADMIN_ACTION_WAIT_MS: int(0, 60000).default(5000),
});

/** Every fixed environment variable Tollgate reads (per-network ones are suffixed by chain id). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** One token the facilitator accepts on a network (EIP-712 domain as the token itself declares it). */
export interface AssetConfig {
  address: `0x${string}`;
  name: string;
  version: string;
  decimals: number;
  symbol: string;
}

/** Everything Tollgate needs to serve one EVM network. */
export interface NetworkConfig {
  /** CAIP-2 id, e.g. `eip155:8453`. */
  network: `eip155:${number}`;
  chainId: number;
  rpcUrl: string;
  /** Blocks on top of the inclusion block before a payment is `confirmed`. */
  confirmations: number;
  multicall3: `0x${string}`;
  assets: AssetConfig[];
  /** Seconds an authorization must still be valid for at verify so the queue can settle it. */
  settlementWindowSeconds: number;
  /** True when the network comes from the embedded devchain (enables anvil-only helpers). */
  local: boolean;
  /**
   * Largest gas limit one settlement transaction may ask for (gas units). Batches are sized so their padded
   * gas stays under it (EIP-7825 caps transactions at 2^24 = 16,777,216 from Osaka on).
   */
  txGasCap: number;
}

export interface SettlementConfig {
  maxBatchSize: number;
  maxWaitMs: number;
  deadlineMarginSeconds: number;
  gasPaddingPercent: number;
  replaceAfterMs: number;
  maxFeeGwei: number;
  maxReplacements: number;
  sweepIntervalMs: number;
  confirmedSettleTimeoutMs: number;
  /** How often the lane scheduler looks at Postgres (ms). */
  tickMs: number;
  /** Batches one relayer may have between claim and inclusion. */
  maxInFlightPerRelayer: number;
  /** Times a payment may go back to the queue before it fails. */
  maxAttempts: number;
  /** Receipt polling interval of the tracker (ms). */
  txPollMs: number;
  /** A relayer nonce gap lasting longer than this (ms) makes readiness fail (the relayer is wedged). */
  relayerWedgedAfterMs: number;
}

/** Outgoing merchant webhooks (Standard Webhooks). */
export interface WebhooksConfig {
  /** Delay in ms before attempt i+1 (index 0: after the event; later: after the previous attempt); its length is the attempt budget. */
  retryScheduleMs: number[];
  /** Per-attempt budget for connect + response (ms). */
  timeoutMs: number;
  /** An endpoint failing without a single success for this long (ms) is disabled. */
  disableAfterMs: number;
  /** Lower-case host names (or IP literals) that may be reached over plain http. Everything else needs https. */
  httpAllowlist: string[];
  /** Allow endpoints resolving to non-public addresses (private, loopback, link-local, special-purpose; tests, local development). */
  allowPrivateAddresses: boolean;
  /** AES-256-GCM key (32 bytes) protecting signing secrets at rest. Never logged. */
  secretKey: Buffer;
  /** `development-default`: derived from a public constant because WEBHOOK_SECRET_KEY was unset outside production. */
  secretKeySource: 'configured' | 'development-default';
  /** Outbox relay / lost-job sweeper period (ms). */
  sweepIntervalMs: number;
  /** Deliveries in flight per worker process. */
  concurrency: number;
}

/** Operator console (`/admin`): browser sessions. */
export interface AdminConfig {
  /** A session ends this long after login, whatever its use (minutes). */
  sessionTtlMinutes: number;
  /** A session unused for this long ends (minutes). */
  sessionIdleMinutes: number;
  /** `Secure` flag on admin cookies; on everywhere but NODE_ENV=development unless set explicitly. */
  cookieSecure: boolean;
  /**
   * Sign-in throttle, shared by every API process through Redis: sign-in attempts that did not succeed per
   * client address, and per (client address, username), within `loginWindowSeconds`; beyond either, 429.
   */
  loginMaxFailuresPerAddress: number;
  loginMaxFailuresPerUser: number;
  loginWindowSeconds: number;
  /**
   * How long an operator action carried out by the worker (retry, void, replace) is waited for before the
   * API answers 202 "requested" with the action's id (ms; 0: never wait).
   */
  actionWaitMs: number;
}

/** Typed, validated configuration for every Tollgate process. */
export interface TollgateConfig {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  databaseUrl: string;
  databasePoolSize: number;
  redisUrl: string;
  queuePrefix: string;
  /**
   * `publicRateLimitPerMinute`: unauthenticated lookups per client IP per minute (429 beyond).
   * `trustProxy`: Express `trust proxy` — which reverse proxies may name the client in `X-Forwarded-For`
   * (a hop count or addresses/subnets/`loopback`…); null: none, the client is the socket's peer.
   */
  api: { host: string; port: number; publicRateLimitPerMinute: number; trustProxy: string | number | null };
  /** The worker's health/metrics listener (no other HTTP in the worker). */
  worker: { metricsPort: number; metricsHost: string };
  exposureGuard: boolean;
  /** Simulate transferWithAuthorization on every verify (else: cached domain-separator check). */
  verifySimulation: boolean;
  /**
   * Seconds after its verify during which a deferred `/settle` of the identical authorization, by the same
   * merchant, is queued on the strength of that verify (one UPDATE) instead of re-reading the chain; 0 re-verifies every settle.
   */
  settleReverifyAfterSeconds: number;
  networks: NetworkConfig[];
  settlement: SettlementConfig;
  webhooks: WebhooksConfig;
  admin: AdminConfig;
}

/** Raised for any invalid setting; `message` is one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11' as const;

/** Networks Tollgate knows how to serve from environment alone (token domains are public facts). */
const KNOWN_NETWORKS: Record<number, { assets: AssetConfig[]; confirmations: number }> = {
  8453: {
    confirmations: 5,
    assets: [
      { address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', name: 'USD Coin', version: '2', decimals: 6, symbol: 'USDC' },
    ],
  },
  84532: {
    confirmations: 3,
    assets: [
      { address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', name: 'USDC', version: '2', decimals: 6, symbol: 'USDC' },
    ],
  },
};

const deploymentSchema = z.object({
  network: z.string().regex(/^eip155:\d+$/),
  chainId: z.number().int().positive(),
  rpcUrl: z.string().url(),
  token: z.object({
    address,
    name: z.string(),
    version: z.string(),
    symbol: z.string(),
    decimals: z.number().int(),
  }),
  multicall3: address,
  relayers: z.array(z.object({ address })).min(1),
});

/** The devchain file's relayer keys: read by the worker only ({@link loadRelayerKeys}). */
const deploymentKeysSchema = z.object({ relayers: z.array(z.object({ address, privateKey: hexKey })).min(1) });

/**
 * Reads a deployment file. `keys: false` drops every `privateKey` (EVM) and `secretKey` (Solana) member while parsing (the JSON reviver
 * runs before any object holding one is built), so the API's configuration never sees the devchain's keys.
 */
function readDeploymentFile(path: string, keys: boolean): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'), keys ? undefined : (k, v) => (k === 'privateKey' || k === 'secretKey' ? undefined : v));
  } catch (e) {
    fail('DEVCHAIN_FILE', `${path} is not valid JSON (${(e as Error).message})`);
  }
}

function fail(variable: string, issue: z.ZodIssue | string): never {
  throw new ConfigError(variable, typeof issue === 'string' ? issue : issue.message);
}

function devchainNetwork(file: string, window: number, txGasCap: number): NetworkConfig | undefined {
  if (!file) return undefined;
  const path = resolve(file);
  if (!existsSync(path)) return undefined;
  const parsed = deploymentSchema.safeParse(readDeploymentFile(path, false));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail('DEVCHAIN_FILE', `${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const d = parsed.data;
  return {
    network: d.network as `eip155:${number}`,
    chainId: d.chainId,
    rpcUrl: d.rpcUrl,
    confirmations: 1,
    multicall3: d.multicall3 as `0x${string}`,
    assets: [{ ...d.token, address: d.token.address as `0x${string}` }],
    settlementWindowSeconds: window,
    local: true,
    txGasCap,
  };
}

/**
 * Validates the environment once and returns typed configuration.
 *
 * @param env defaults to `process.env`; tests pass an explicit object.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TollgateConfig {
  // Empty strings mean "unset" so that `.env.example` lines like `FOO=` keep the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  if (env.DEVCHAIN_FILE === '') cleaned.DEVCHAIN_FILE = '';
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(String(issue.path[0] ?? 'environment'), issue);
  }
  const e = parsed.data;

  const networks: NetworkConfig[] = [];
  const local = devchainNetwork(e.DEVCHAIN_FILE, e.SETTLEMENT_WINDOW_SECONDS, e.TX_GAS_CAP);
  if (local) networks.push(local);

  for (const entry of e.NETWORKS.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^eip155:(\d+)$/.exec(entry);
    if (!m) fail('NETWORKS', `"${entry}" is not a CAIP-2 EVM network id like eip155:8453`);
    const chainId = Number(m[1]);
    if (networks.some((n) => n.chainId === chainId)) fail('NETWORKS', `${entry} is configured twice`);
    const known = KNOWN_NETWORKS[chainId];
    if (!known) fail('NETWORKS', `${entry} has no known token registry (supported: eip155:8453, eip155:84532)`);
    const rpcVar = `RPC_URL_${chainId}`;
    const rpcUrl = z.string().url().safeParse(env[rpcVar]);
    if (!rpcUrl.success) fail(rpcVar, `required for ${entry}: expected an http(s) JSON-RPC URL`);
    const confVar = `CONFIRMATIONS_${chainId}`;
    const confirmations = int(0, 1000).safeParse(env[confVar] ?? known.confirmations);
    if (!confirmations.success) fail(confVar, 'expected a whole number of blocks (0-1000)');
    const windowVar = `SETTLEMENT_WINDOW_SECONDS_${chainId}`;
    const window = int(0, 86400).safeParse(env[windowVar] ?? e.SETTLEMENT_WINDOW_SECONDS);
    if (!window.success) fail(windowVar, 'expected whole seconds (0-86400)');
    const txGasCap = txGasCapOf(env, chainId, e.TX_GAS_CAP);
    networks.push({
      network: entry as `eip155:${number}`,
      chainId,
      rpcUrl: rpcUrl.data,
      confirmations: confirmations.data,
      multicall3: MULTICALL3,
      assets: known.assets,
      settlementWindowSeconds: window.data,
      local: false,
      txGasCap,
    });
  }
  if (local) {
    const confVar = `CONFIRMATIONS_${local.chainId}`;
    if (env[confVar]) {
      const c = int(0, 1000).safeParse(env[confVar]);
      if (!c.success) fail(confVar, 'expected a whole number of blocks (0-1000)');
      local.confirmations = c.data;
    }
    local.txGasCap = txGasCapOf(env, local.chainId, e.TX_GAS_CAP);
  }

  const webhooks = webhooksConfig(e);

  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      publicRateLimitPerMinute: e.PUBLIC_RATE_LIMIT_PER_MINUTE,
      trustProxy: e.API_TRUST_PROXY === '' ? null : /^\d+$/.test(e.API_TRUST_PROXY) ? Number(e.API_TRUST_PROXY) : e.API_TRUST_PROXY,
    },
    worker: { metricsPort: e.WORKER_METRICS_PORT, metricsHost: e.WORKER_METRICS_HOST },
    exposureGuard: e.EXPOSURE_GUARD,
    verifySimulation: e.VERIFY_SIMULATION,
    settleReverifyAfterSeconds: e.SETTLE_REVERIFY_AFTER_SECONDS,
    networks,
    ...solanaSettings(env),
    settlement: {
      maxBatchSize: e.BATCH_MAX_SIZE,
      maxWaitMs: e.BATCH_MAX_WAIT_MS,
      deadlineMarginSeconds: e.BATCH_DEADLINE_MARGIN_SECONDS,
      gasPaddingPercent: e.BATCH_GAS_PADDING_PERCENT,
      replaceAfterMs: e.TX_REPLACE_AFTER_MS,
      maxFeeGwei: e.TX_MAX_FEE_GWEI,
      maxReplacements: e.TX_MAX_REPLACEMENTS,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      confirmedSettleTimeoutMs: e.CONFIRMED_SETTLE_TIMEOUT_MS,
      tickMs: e.BATCH_TICK_MS,
      maxInFlightPerRelayer: e.RELAYER_MAX_IN_FLIGHT,
      maxAttempts: e.SETTLEMENT_MAX_ATTEMPTS,
      txPollMs: e.TX_POLL_MS,
      relayerWedgedAfterMs: e.RELAYER_WEDGED_AFTER_MS,
    },
    webhooks,
    admin: {
      sessionTtlMinutes: e.ADMIN_SESSION_TTL_MINUTES,
      sessionIdleMinutes: e.ADMIN_SESSION_IDLE_MINUTES,
      cookieSecure: e.ADMIN_COOKIE_SECURE ?? e.NODE_ENV !== 'development',
      loginMaxFailuresPerAddress: e.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS,
      loginMaxFailuresPerUser: e.ADMIN_LOGIN_MAX_FAILURES_PER_USER,
      loginWindowSeconds: e.ADMIN_LOGIN_WINDOW_SECONDS,
      actionWaitMs: e.ADMIN_ACTION_WAIT_MS,
    },
  };
}

/** `TX_GAS_CAP_<chainId>` when set, else the deployment-wide `TX_GAS_CAP`. */
function txGasCapOf(env: NodeJS.ProcessEnv, chainId: number, fallback: number): number {
  const variable = `TX_GAS_CAP_${chainId}`;
  if (env[variable] === undefined || env[variable] === '') return fallback;
  const cap = int(MIN_TX_GAS_CAP, MAX_TX_GAS_CAP).safeParse(env[variable]);
  if (!cap.success) fail(variable, `expected whole gas units (${MIN_TX_GAS_CAP}-${MAX_TX_GAS_CAP})`);
  return cap.data;
}

/** Public on purpose: it only keeps development databases from holding plaintext; production must set its own key. */
const DEVELOPMENT_WEBHOOK_KEY_SEED = 'tollgate development webhook secret key (not for production)';

function webhooksConfig(e: z.infer<typeof envSchema>): WebhooksConfig {
  const schedule = e.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map((s) => s.trim());
  if (schedule.length === 0 || schedule.length > 50 || schedule.some((s) => !/^\d{1,10}$/.test(s))) {
    fail('WEBHOOK_RETRY_SCHEDULE_MS', 'expected a comma-separated list of 1-50 delays in whole milliseconds, e.g. 0,5000,300000');
  }
  let secretKey: Buffer;
  let secretKeySource: WebhooksConfig['secretKeySource'] = 'configured';
  if (e.WEBHOOK_SECRET_KEY) {
    const raw = e.WEBHOOK_SECRET_KEY.trim();
    const hex = raw.replace(/^0x/, '');
    secretKey = /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.from(raw, 'base64');
    if (secretKey.length !== 32) fail('WEBHOOK_SECRET_KEY', 'expected 32 bytes as 64 hex characters or base64');
  } else if (e.NODE_ENV === 'production') {
    fail('WEBHOOK_SECRET_KEY', 'required in production: 32 random bytes as hex or base64 (e.g. `openssl rand -hex 32`)');
  } else {
    secretKey = createHash('sha256').update(DEVELOPMENT_WEBHOOK_KEY_SEED).digest();
    secretKeySource = 'development-default';
  }
  return {
    retryScheduleMs: schedule.map(Number),
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
    httpAllowlist: e.WEBHOOK_HTTP_ALLOWLIST.split(',').map((s) => s.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter(Boolean),
    allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
    secretKey,
    secretKeySource,
    sweepIntervalMs: e.WEBHOOK_SWEEP_INTERVAL_MS,
    concurrency: e.WEBHOOK_CONCURRENCY,
  };
}

/** Relayer private keys per served network (CAIP-2 id → keys, in configured order). Never logged. */
export type RelayerKeys = Readonly<Record<string, readonly `0x${string}`[]>>;

/** The worker's configuration: everything every process reads, plus the relayer keys only it may hold. */
export interface WorkerConfig extends TollgateConfig {
  relayerKeys: RelayerKeys;
}

/**
 * Relayer keys for each network of `networks`: `RELAYER_PRIVATE_KEYS_<chainId>` (comma-separated, required)
 * for a network of `NETWORKS`; the deployment file's relayer keys for the devchain (`DEVCHAIN_FILE`).
 * Only the worker calls this.
 *
 * @throws ConfigError naming the variable when keys are missing or malformed.
 */
export function loadRelayerKeys(env: NodeJS.ProcessEnv, networks: readonly NetworkConfig[]): RelayerKeys {
  const out: Record<string, `0x${string}`[]> = {};
  for (const n of networks) {
    if (n.local) {
      const path = resolve(env.DEVCHAIN_FILE || '.devchain/deployment.json');
      const parsed = deploymentKeysSchema.safeParse(readDeploymentFile(path, true));
      if (!parsed.success) fail('DEVCHAIN_FILE', `${path}: relayers: expected an address and a 0x-prefixed 32-byte private key for each`);
      out[n.network] = parsed.data.relayers.map((r) => r.privateKey as `0x${string}`);
      continue;
    }
    const keysVar = `RELAYER_PRIVATE_KEYS_${n.chainId}`;
    const keys = (env[keysVar] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (keys.length === 0) fail(keysVar, `required for ${n.network}: comma-separated relayer private keys`);
    keys.forEach((k) => hexKey.safeParse(k).success || fail(keysVar, 'expected 0x-prefixed 32-byte hex private keys'));
    out[n.network] = keys as `0x${string}`[];
  }
  return out;
}

/** {@link loadConfig} plus the relayer keys ({@link loadRelayerKeys}): the worker's configuration. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const config = loadConfig(env);
  const solana = config.solanaNetworks ? { solanaFeePayerKeys: loadSolanaFeePayerKeys(env, config.solanaNetworks) } : {};
  return { ...config, relayerKeys: loadRelayerKeys(env, config.networks), ...solana };
}

/** {@link loadWorkerConfig} for the worker's entry point: exits 78 naming the variable on a bad value. */
export function loadWorkerConfigOrExit(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return orExit(() => loadWorkerConfig(env));
}

/**
 * {@link loadConfig} for process entry points: on a bad value prints one line naming the variable and
 * exits with status 78 (EX_CONFIG) instead of a stack trace.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): TollgateConfig {
  return orExit(() => loadConfig(env));
}

function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}
