import { ACCEPT_PAYMENT_SIGNATURE, ACCEPT_PAYMENTS_SIGNATURE } from './accept-payment.sql';

/**
 * The plpgsql functions on the hot path (every accept, every status change of a payment, every event) whose
 * statements are point or range lookups through an index made for them: the authorization lookup
 * (`uq_payments_authorization`), the exposure buckets (`idx_payment_exposure_bucket`), a payment by id
 * (`pk_payments`), and the rollup trigger's join of a statement's events to their payments.
 *
 * Why they run with `enable_seqscan = off`: plpgsql caches a generic plan per connection after five calls, and
 * chooses it from the statistics of that moment. Made while a table is small (a fresh database, a quiet hour,
 * `payment_exposure` right after the sweeper folded it) the plan is a sequential scan, and it stays cached for
 * the life of the pooled connection while the table grows, until an ANALYZE happens to invalidate it. Measured
 * with auto_explain on a fresh bench database: every accept scanned the whole of `payments` and
 * `payment_exposure` (≈ 0.7 ms of Postgres time per accept at 5,000 rows, growing with the table). Forcing
 * custom plans instead re-plans every statement on every call (≈ 40 % more per accept, migration
 * 1763800000000); this setting keeps the cached plans and only takes the sequential scan off the table, so a
 * generic plan is an index plan whatever the statistics said. Scans of a trigger's transition tables and of
 * unnest() are not sequential scans of a table and are unaffected.
 *
 * A function's SET clause is part of its definition: `CREATE OR REPLACE FUNCTION` without it drops it. Whoever
 * re-installs one of these functions applies {@link HOT_PATH_PLAN_SQL} again in the same migration; the
 * catalog test (hot-path-plans.int-spec.ts) fails while any of them lacks it.
 */
export const HOT_PATH_FUNCTIONS = [
  ACCEPT_PAYMENT_SIGNATURE,
  ACCEPT_PAYMENTS_SIGNATURE,
  'tollgate_payments_exposure()',
  'payment_events_rollup()',
] as const;

/** The setting, as `pg_proc.proconfig` shows it. */
export const HOT_PATH_PLAN_SETTING = 'enable_seqscan=off';

/** Statements pinning the setting on every hot-path function. */
export const HOT_PATH_PLAN_SQL = HOT_PATH_FUNCTIONS.map((f) => `ALTER FUNCTION ${f} SET enable_seqscan = off`);

/** Statements removing it again (the migration's down). */
export const HOT_PATH_PLAN_RESET_SQL = HOT_PATH_FUNCTIONS.map((f) => `ALTER FUNCTION ${f} RESET enable_seqscan`);
