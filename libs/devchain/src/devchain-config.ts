import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The devchain's own settings (not Tollgate's configuration), parsed from an environment object the caller
 * passes: `apps/devchain` reads `process.env` (see its `devchain.config.ts`), the demo passes its own.
 *
 * Variables (empty strings count as unset, so `FOO=` lines in a .env file keep the default):
 *   DEVCHAIN_PORT           TCP port for anvil on 127.0.0.1             default 8545
 *   DEVCHAIN_CHAIN_ID       EIP-155 chain id                             default 31337
 *   DEVCHAIN_BLOCK_TIME     seconds between blocks (fractions allowed)   default unset = automine
 *   DEVCHAIN_FILE           where the deployment JSON is written         default .devchain/deployment.json
 *   DEVCHAIN_TOKEN_NAME     EIP-712 domain name of the token             default "USD Coin"
 *   DEVCHAIN_TOKEN_VERSION  EIP-712 domain version of the token          default "2"
 *   DEVCHAIN_PAYERS         number of funded payer accounts (0-100)      default 10
 */
export interface DevchainConfig {
  port: number;
  chainId: number;
  /** Seconds; undefined means automine (one block per transaction). */
  blockTimeSeconds: number | undefined;
  /** Absolute path of the deployment file. */
  file: string;
  tokenName: string;
  tokenVersion: string;
  payers: number;
  /** Interface anvil binds (0.0.0.0 inside a container). */
  host: string;
  /** RPC URL written to the deployment file for other processes; default http://127.0.0.1:<port>. */
  publicRpcUrl: string | undefined;
  /** Port of the Solana devchain's JSON-RPC server on loopback (`DEVCHAIN_SVM_PORT`, default 8899, Solana's own). */
  svmPort: number;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be an integer between ${min} and ${max}`);

const envSchema = z.object({
  DEVCHAIN_PORT: integer(1, 65535).default('8545'),
  DEVCHAIN_CHAIN_ID: integer(1, Number.MAX_SAFE_INTEGER).default('31337'),
  DEVCHAIN_BLOCK_TIME: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a positive number of seconds')
    .transform(Number)
    .refine((n) => n > 0, 'must be a positive number of seconds')
    .optional(),
  DEVCHAIN_FILE: z.string().default('.devchain/deployment.json'),
  DEVCHAIN_TOKEN_NAME: z.string().default('USD Coin'),
  DEVCHAIN_TOKEN_VERSION: z.string().default('2'),
  DEVCHAIN_PAYERS: integer(0, 100).default('10'),
  // Containers bind 0.0.0.0 and advertise their service name; on a laptop both stay loopback.
  DEVCHAIN_HOST: z.string().default('127.0.0.1'),
  DEVCHAIN_SVM_PORT: integer(1, 65535).default('8899'),
  DEVCHAIN_PUBLIC_RPC_URL: z.string().regex(/^https?:\/\/[^/\s]+/, 'must be an http(s) URL').optional(),
});

/** Thrown by {@link parseDevchainConfig}; `message` is a single line naming the variable. */
export class DevchainConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
    received: unknown,
  ) {
    super(`Invalid ${variable}: ${detail}${received === undefined ? '' : ` (got ${JSON.stringify(received)})`}`);
    this.name = 'DevchainConfigError';
  }
}

/**
 * Validates devchain settings from an environment object.
 *
 * @param env usually `process.env`; tests pass a plain object.
 * @throws DevchainConfigError for the first invalid variable.
 */
export function parseDevchainConfig(env: NodeJS.ProcessEnv): DevchainConfig {
  const keys = Object.keys(envSchema.shape) as Array<keyof typeof envSchema.shape>;
  const relevant = Object.fromEntries(
    keys.flatMap((k) => (env[k] !== undefined && env[k] !== '' ? [[k, env[k]]] : [])),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    throw new DevchainConfigError(variable, issue.message, relevant[variable]);
  }
  const e = parsed.data;
  return {
    port: e.DEVCHAIN_PORT,
    chainId: e.DEVCHAIN_CHAIN_ID,
    blockTimeSeconds: e.DEVCHAIN_BLOCK_TIME,
    file: resolve(e.DEVCHAIN_FILE),
    tokenName: e.DEVCHAIN_TOKEN_NAME,
    tokenVersion: e.DEVCHAIN_TOKEN_VERSION,
    payers: e.DEVCHAIN_PAYERS,
    host: e.DEVCHAIN_HOST,
    publicRpcUrl: e.DEVCHAIN_PUBLIC_RPC_URL,
    svmPort: e.DEVCHAIN_SVM_PORT,
  };
}
