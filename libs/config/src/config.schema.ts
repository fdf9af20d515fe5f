import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bool, fail, int, MAX_TX_GAS_CAP, MIN_TX_GAS_CAP, orExit } from './config-values';
import { loadNetworks, NetworkConfig } from './network-config';
import { merchantRateLimitEnv } from './merchant-rate-limit';
import { solanaSettings } from './svm-networks';
import { explorerSettings } from './explorer-links';
import { AdminStatementTimeoutConfig, adminStatementTimeoutEnv } from './admin-statement-timeout';
import { operatorAlerts, OperatorAlertsConfig, operatorAlertsEnv } from './operator-alerts';

/**
 * The one place that reads `process.env`. Every other module receives a typed {@link TollgateConfig}.
 *
 * Per-network settings use the chain id as suffix, e.g. `RPC_URL_84532`, `CONFIRMATIONS_84532`, so several
 * networks can be served by one deployment.
 *
 * Relayer private keys are not part of {@link TollgateConfig}: only the worker reads them, through
 * {@link loadWorkerConfig}. The API (which faces the internet) never parses `RELAYER_PRIVATE_KEYS_*` nor the
 * devchain file's keys, so no process it runs holds a key that can move funds. Network settings are parsed in
 * `network-config.ts`, the worker's keys in `worker-config.ts`.
 */

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
  HISTORY_RETENTION_DAYS: int(1, 36500).default(90),
  HISTORY_PARTITIONS_AHEAD_DAYS: int(1, 90).default(7),
  PAYMENTS_HOT_SECONDS: int(0, 2_592_000).default(3600),
  HISTORY_MOVE_INTERVAL_MS: int(100, 3_600_000).default(60_000),
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
  WORKER_NICE: int(0, 19).default(0),
  ADMIN_SESSION_TTL_MINUTES: int(5, 7 * 24 * 60).default(480),
  ADMIN_SESSION_IDLE_MINUTES: int(1, 24 * 60).default(60),
  ADMIN_COOKIE_SECURE: bool.optional(),
  ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 100000).default(20),
  ADMIN_LOGIN_MAX_FAILURES_PER_USER: int(1, 1000).default(5),
  ADMIN_LOGIN_WINDOW_SECONDS: int(10, 24 * 3600).default(900),
  ADMIN_ACTION_WAIT_MS: int(0, 60000).default(5000),
  ...merchantRateLimitEnv,
  ...adminStatementTimeoutEnv,
  ...operatorAlertsEnv,
});

/** Every fixed environment variable Tollgate reads (per-network ones are suffixed by chain id). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);


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
export interface AdminConfig extends AdminStatementTimeoutConfig {
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
  /**
   * The worker's health/metrics listener (no other HTTP in the worker), and `nice`: the CPU scheduling priority
   * the worker process lowers itself to (0-19, Unix nice; 0 = unchanged) so that on a shared host answers to
   * /verify and /settle go first and batch settlement, which has the settlement window to catch up, takes
   * the spare CPU.
   */
  worker: { metricsPort: number; metricsHost: string; nice: number };
  exposureGuard: boolean;
  /** Simulate transferWithAuthorization on every verify (else: cached domain-separator check). */
  verifySimulation: boolean;
  /**
   * Seconds after its verify during which a deferred `/settle` of the identical authorization, by the same
   * merchant, is queued on the strength of that verify (one UPDATE) instead of re-reading the chain; 0 re-verifies every settle.
   */
  settleReverifyAfterSeconds: number;
  /** Default `/verify` + `/settle` requests per merchant per second, across API processes; 0 = unlimited (see merchant-rate-limit.ts). */
  merchantRateLimitPerSecond: number;
  networks: NetworkConfig[];
  settlement: SettlementConfig;
  webhooks: WebhooksConfig;
  admin: AdminConfig;
  /** Operator alerting thresholds (operator-alerts.ts). */
  alerts: OperatorAlertsConfig;
  /**
   * Payment history (`payment_events`, partitioned by UTC day): `retentionDays` — days of history kept in
   * Postgres; `npm run archive` without `--before` exports and drops the partitions that ended earlier.
   * `partitionsAheadDays` — whole days of partitions the worker keeps created ahead of today.
   * `hotSeconds` — a final payment whose authorization has expired stays in `payments` this long (seconds)
   * after its last change, then the worker moves it to `payments_history` (checked every `moveIntervalMs`).
   */
  history: { retentionDays: number; partitionsAheadDays: number; hotSeconds: number; moveIntervalMs: number };
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

  const networks = loadNetworks(env, e);

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
    worker: { metricsPort: e.WORKER_METRICS_PORT, metricsHost: e.WORKER_METRICS_HOST, nice: e.WORKER_NICE },
    exposureGuard: e.EXPOSURE_GUARD,
    verifySimulation: e.VERIFY_SIMULATION,
    settleReverifyAfterSeconds: e.SETTLE_REVERIFY_AFTER_SECONDS,
    history: {
      retentionDays: e.HISTORY_RETENTION_DAYS,
      partitionsAheadDays: e.HISTORY_PARTITIONS_AHEAD_DAYS,
      hotSeconds: e.PAYMENTS_HOT_SECONDS,
      moveIntervalMs: e.HISTORY_MOVE_INTERVAL_MS,
    },
    merchantRateLimitPerSecond: e.MERCHANT_RATE_LIMIT_PER_SECOND,
    networks,
    ...solanaSettings(env),
    ...explorerSettings(env, networks),
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
    alerts: operatorAlerts(env, e, networks),
    admin: {
      sessionTtlMinutes: e.ADMIN_SESSION_TTL_MINUTES,
      sessionIdleMinutes: e.ADMIN_SESSION_IDLE_MINUTES,
      cookieSecure: e.ADMIN_COOKIE_SECURE ?? e.NODE_ENV !== 'development',
      loginMaxFailuresPerAddress: e.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS,
      loginMaxFailuresPerUser: e.ADMIN_LOGIN_MAX_FAILURES_PER_USER,
      loginWindowSeconds: e.ADMIN_LOGIN_WINDOW_SECONDS,
      actionWaitMs: e.ADMIN_ACTION_WAIT_MS,
      statementTimeoutMs: e.ADMIN_STATEMENT_TIMEOUT_MS,
    },
  };
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

/**
 * {@link loadConfig} for process entry points: on a bad value prints one line naming the variable and
 * exits with status 78 (EX_CONFIG) instead of a stack trace.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): TollgateConfig {
  return orExit(() => loadConfig(env));
}

