import { z } from 'zod';

/**
 * `ADMIN_STATEMENT_TIMEOUT_MS`: the longest any console or admin-API read may run in Postgres (ms; default
 * 2000), so open console tabs cannot hold connections and CPU that verify and settle need. A read that
 * runs out answers 503, never a 500.
 */
export const adminStatementTimeoutEnv = {
  ADMIN_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
};

/** The admin settings this file adds to `AdminConfig`. */
export interface AdminStatementTimeoutConfig {
  /** Statement timeout of console and admin-API reads (ms). */
  statementTimeoutMs: number;
}
