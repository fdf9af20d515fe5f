/**
 * The maintained exposure behind the accept rule's guards (accept-payment.sql.ts): what a payer, and a
 * merchant, have accepted but not yet settled, kept as running totals in `payment_exposure` so a guard reads
 * a handful of rows instead of summing every in-flight payment (issue #16: one payer with 10,000 payments in
 * flight cost 1.2 ms of Postgres CPU per verify, and growing).
 *
 * This file is the source of truth for the trigger function below; migration 1763920000000 installed it, 1764030000000
 * the current text (a change = edit here AND add a migration that runs {@link PAYMENT_EXPOSURE_SQL} again;
 * payment-exposure.int-spec.ts fails while the installed text differs).
 *
 * What counts (rule `until-expiry`, migration 1764030000000): a payment in `verified`, `queued`, `batched` or
 * `submitted` counts until {@link EXPOSURE_GRACE_SECONDS} after its `validBefore` (`expires_at`), whatever its
 * status. Past `validBefore` no chain can move the money any more: EIP-3009 requires `block.timestamp <
 * validBefore`, and a Solana payment's `validBefore` is its blockhash's expiry; the grace absorbs block
 * timestamps behind the database clock and slots slower than the Solana deadline estimate assumed. A verified
 * payment is lapsed by the sweeper once `validBefore` passes, so the grace only lengthens its count until then.
 * Before 1764030000000 (rule `legacy`) queued, batched and submitted payments counted forever and verified ones
 * until `validBefore`; the difference cost three writes per payment at `/settle`, to move it from its expiry
 * buckets into a never-expiring one, to keep counting a payment that could no longer settle.
 *
 * Per party — `payer` (key: network, asset, payer) and `merchant` (merchant id, network, asset) — a row holds the
 * total of a bucket: an unsettled payment is in two, its exact expiry instant (`by_minute` false, `bucket` =
 * expires_at) and its UTC minute (`by_minute` true, `bucket` = the minute's start). Since the buckets do not depend
 * on the status, a payment's steps from `verified` to `submitted` write nothing here; it is written at accept and
 * when it leaves (settled, failed, lapsed). A guard reads the instants between the horizon (now − grace) and the
 * next minute and the minutes from there on ({@link exposureTotalSql}): exact, and at most ≈ 60 + (validity
 * window in minutes) rows whatever the number in flight (exact instants alone would be up to 3,600 rows for a
 * payer paying every second with one-hour authorizations).
 *
 * Maintenance: statement-level AFTER INSERT / UPDATE / DELETE triggers on `payments` with transition tables,
 * so no code path can forget it (the ledger, workers, operator tools, tests' direct UPDATEs) and it commits or
 * rolls back with the payment rows: any snapshot sees totals equal to the ground-truth SUM over `payments`.
 * A statement's rows are aggregated per bucket (a worker settling 100 payments of one payer writes once; a move
 * between unsettled statuses writes nothing).
 *
 * Contention: a bucket may hold several partial rows whose sum is the total. A writer adds to any row of the
 * bucket that nobody else holds (`FOR UPDATE SKIP LOCKED`) or inserts a new one, so it never waits for
 * another transaction: no new lock waits and no deadlocks on the hot path, even when every payer pays the
 * same merchant. The sweeper folds a bucket's rows into one and deletes rows summing to zero
 * ({@link COMPACT_EXPOSURE_SQL}); both keep every sum unchanged, so the totals stay exact at every instant.
 * Expired buckets reach zero when their payments leave (lapsed, settled or failed), and then disappear.
 */

/**
 * Which payments count: `until-expiry` (current, see above) or `legacy` (before migration 1764030000000, for its
 * down: verified ones until `validBefore`, the other unsettled ones in the bucket `'infinity'`, forever).
 */
export type ExposureRule = 'until-expiry' | 'legacy';

/** Seconds past `validBefore` an unsettled payment still counts (rule `until-expiry`). */
export const EXPOSURE_GRACE_SECONDS = 60;

/** SQL: the instant before which an expiry no longer counts (an `expires_at` must be after it). */
export function exposureHorizonSql(rule: ExposureRule = 'until-expiry'): string {
  return rule === 'legacy' ? 'now()' : `now() - interval '${EXPOSURE_GRACE_SECONDS} seconds'`;
}

const UNSETTLED = `('verified', 'queued', 'batched', 'submitted')`;

/**
 * The signed contributions of each unsettled row of a transition table: per party, its exact-instant bucket and
 * its minute (rule `legacy`: only a verified payment; any other unsettled one in the minute bucket `'infinity'`).
 */
function contributions(rows: string, sign: '' | '-', rule: ExposureRule): string {
  const legacy = rule === 'legacy';
  const minute = legacy
    ? `CASE WHEN r.status = 'verified' THEN date_trunc('minute', r.expires_at, 'UTC') ELSE 'infinity'::timestamptz END`
    : `date_trunc('minute', r.expires_at, 'UTC')`;
  return `SELECT c.party, c.party_id, r.network, r.asset, b.by_minute, b.bucket, ${sign}r.amount AS amount
            FROM ${rows} r
           CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           CROSS JOIN LATERAL (VALUES (false, r.expires_at), (true, ${minute})) AS b(by_minute, bucket)
           WHERE r.status IN ${UNSETTLED}${legacy ? ` AND (r.status = 'verified' OR b.by_minute)` : ''}`;
}

const KEY = 'party, party_id, network, asset, by_minute, bucket';

/** The statement's net change per bucket, zero changes left out. */
function deltas(parts: string[]): string {
  return `SELECT d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket, sum(d.amount) AS amount
            FROM (${parts.join(' UNION ALL ')}) d
           GROUP BY d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket
          HAVING sum(d.amount) <> 0`;
}

/**
 * The guard's total for one party (a SQL expression for the accept function; `partyId` names its argument):
 * exact-instant buckets in (horizon, the minute after it) plus minute buckets from that minute on (rule `legacy`:
 * with `'infinity'`; horizon = {@link exposureHorizonSql}), so at most ≈ 60 + (validity window in minutes) rows are
 * read. Every counted payment is in exactly one of the two ranges. The still-verified payment `v_id` (a retry) is
 * taken out again, in the same statement and so the same snapshot. `network` and `asset` name the lane's
 * arguments (those of the single-call function by default).
 */
export function exposureTotalSql(
  party: 'payer' | 'merchant',
  partyId: string,
  network = 'p_network',
  asset = 'p_asset',
  rule: ExposureRule = 'until-expiry',
): string {
  const bucketOf = `e.party = '${party}' AND e.party_id = ${partyId} AND e.network = ${network} AND e.asset = ${asset}`;
  const horizon = exposureHorizonSql(rule);
  const nextMinute = `date_trunc('minute', ${horizon}, 'UTC') + interval '1 minute'`;
  const selfCounts = rule === 'legacy' ? `(p.status <> 'verified' OR p.expires_at > now())` : `p.expires_at > ${horizon}`;
  return `coalesce((SELECT sum(e.amount) FROM payment_exposure e
                   WHERE ${bucketOf} AND NOT e.by_minute AND e.bucket > ${horizon} AND e.bucket < ${nextMinute}), 0)
           + coalesce((SELECT sum(e.amount) FROM payment_exposure e
                   WHERE ${bucketOf} AND e.by_minute AND e.bucket >= ${nextMinute}), 0)
           - coalesce((SELECT p.amount FROM payments p WHERE p.id = v_id AND p.status IN ${UNSETTLED}
                   AND ${selfCounts}), 0)`;
}

/**
 * Applies a statement's deltas in one SQL statement (one executor run per trigger firing instead of a helper
 * call and two statements per bucket): per bucket, a partial row no other transaction holds
 * (`FOR UPDATE SKIP LOCKED`) gets the delta added, and a bucket with no such row gets a new one.
 * The picked rows are updated through `id = ANY (ARRAY(…))`, a primary-key lookup each: written as a join to
 * `picked`, the cached generic plan (sequential scans off) walked the whole primary key and hashed it, so every
 * accept read every bucket of every payer (9,000 rows for 3,000 payments in flight; migration 1764030000000).
 */
function applyDeltas(parts: string[]): string {
  return `WITH d AS (${deltas(parts)}), picked AS MATERIALIZED (
        SELECT d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket, d.amount,
               (SELECT e.id FROM payment_exposure e
                 WHERE e.party = d.party AND e.party_id = d.party_id AND e.network = d.network AND e.asset = d.asset
                   AND e.by_minute = d.by_minute AND e.bucket = d.bucket
                 LIMIT 1 FOR UPDATE SKIP LOCKED) AS id
          FROM d
      ), added AS (
        UPDATE payment_exposure e SET amount = e.amount + (SELECT p.amount FROM picked p WHERE p.id = e.id)
         WHERE e.id = ANY (ARRAY(SELECT p.id FROM picked p WHERE p.id IS NOT NULL))
      )
      INSERT INTO payment_exposure (${KEY}, amount)
      SELECT ${KEY}, amount FROM picked WHERE id IS NULL`;
}

/** The trigger body: one branch per operation (each names only the transition tables it has). */
function exposureTriggerBody(rule: ExposureRule): string {
  return `
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ${applyDeltas([contributions('new_rows', '', rule)])};
    ELSIF TG_OP = 'UPDATE' THEN
      ${applyDeltas([contributions('new_rows', '', rule), contributions('old_rows', '-', rule)])};
    ELSIF TG_OP = 'DELETE' THEN
      ${applyDeltas([contributions('old_rows', '-', rule)])};
    ELSE
      DELETE FROM payment_exposure;
    END IF;
    RETURN NULL;
  END
`;
}

/** The trigger body as Postgres stores it (`pg_proc.prosrc`). */
export const EXPOSURE_TRIGGER_BODY = exposureTriggerBody('until-expiry');

/**
 * The ground truth the maintained rows must equal, per bucket (the test compares them): the same
 * contributions computed from `payments` directly.
 */
export function exposureGroundTruthSql(rule: ExposureRule = 'until-expiry'): string {
  return deltas([contributions('payments', '', rule)]);
}

/** {@link exposureGroundTruthSql} of the current rule. */
export const EXPOSURE_GROUND_TRUTH_SQL = exposureGroundTruthSql();

/**
 * Installs (CREATE OR REPLACE) the trigger function of `rule`; the triggers themselves are created by the migration.
 * `tollgate_payments_exposure()` runs with `enable_seqscan = off` (hot-path-plans.sql.ts): whoever runs this
 * applies `HOT_PATH_PLAN_SQL` again.
 */
export function paymentExposureSql(rule: ExposureRule = 'until-expiry'): string[] {
  return [`CREATE OR REPLACE FUNCTION tollgate_payments_exposure() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $fn$${exposureTriggerBody(rule)}$fn$`];
}

/** {@link paymentExposureSql} of the current rule. */
export const PAYMENT_EXPOSURE_SQL = paymentExposureSql();

/**
 * Rebuilds every total from `payments` under `rule`, for a migration that changes the rule: the payments table is
 * locked against writers (SHARE) for the statement's transaction, so no accept or transition moves a total while
 * it is rebuilt.
 */
export function rebuildExposureSql(rule: ExposureRule): string[] {
  return [
    'LOCK TABLE payments IN SHARE MODE',
    'DELETE FROM payment_exposure',
    `INSERT INTO payment_exposure (${KEY}, amount) SELECT ${KEY}, amount FROM (${exposureGroundTruthSql(rule)}) t`,
  ];
}

/**
 * Folds partial rows (sweeper): for up to 1,000 buckets that have several rows or a zero row, the rows nobody
 * holds are replaced by one row with their sum, or by none when it is zero. A held row is skipped and stays
 * as it is, so the sum of every bucket is unchanged whatever runs concurrently. Answers one row:
 * `{ folded, deleted }` (rows rewritten and rows removed).
 */
export const COMPACT_EXPOSURE_SQL = `
  WITH candidates AS (
    SELECT ${KEY} FROM payment_exposure
     GROUP BY ${KEY}
    HAVING count(*) > 1 OR bool_or(amount = 0)
     LIMIT 1000
  ), held AS (
    SELECT e.id, e.party, e.party_id, e.network, e.asset, e.by_minute, e.bucket, e.amount
      FROM payment_exposure e JOIN candidates c USING (${KEY})
       FOR UPDATE OF e SKIP LOCKED
  ), totals AS (
    SELECT ${KEY}, sum(amount) AS total, min(id) AS keep_id, count(*) AS n
      FROM held GROUP BY ${KEY}
  ), folded AS (
    UPDATE payment_exposure e SET amount = t.total FROM totals t
     WHERE e.id = t.keep_id AND t.total <> 0 AND t.n > 1
    RETURNING e.id
  ), deleted AS (
    DELETE FROM payment_exposure e USING held h JOIN totals t USING (${KEY})
     WHERE e.id = h.id AND (t.total = 0 OR h.id <> t.keep_id)
    RETURNING e.id
  )
  SELECT (SELECT count(*) FROM folded)::int AS folded, (SELECT count(*) FROM deleted)::int AS deleted`;
