/**
 * How a payment's history is written to `payment_events` and read back (issue #16, write amplification). Migrations
 * 1764020000000 and 1764040000000 made it compact without losing a step: a payment cost 6 event rows end to end,
 * now its share of 4 rows per batch.
 *
 * - **Acceptance and queueing are the payment row.** The `→ verified` step is not written as an event: the row
 *   inserted by the accept rule records it (`created_at`), and readers see it as the payment's first step
 *   (id {@link ACCEPTANCE_EVENT_ID}). Nor is `verified → queued` (the settle): the same statement that moves the
 *   payment sets `queued_at`, which is set on a verified payment by nothing else, and readers see the step at that
 *   time (an operator retry that resets it records the previous value in its row's `detail.previousQueuedAt`; id
 *   {@link QUEUED_STEP_EVENT_ID}; its `payment.queued` webhook deliveries carry that id). Both ids are negative, so
 *   they sort before every event row. Payments accepted or queued before those migrations keep their own event
 *   rows, which are then shown instead.
 * - **Batch steps are one row per batch.** The steps an EVM batch takes — `queued → batched` (its building),
 *   `batched → submitted`, `submitted → included`, `included → confirmed` — are ONE row per step for the whole
 *   batch: `payment_id` NULL, the moved payments in `payment_ids` (uuid[], id order), the batch in
 *   `detail.batchId`. A step is recorded this way only for payments the worker claimed into or loaded from the
 *   batch itself (`payments.batch_id`).
 * - Everything else stays one row per payment: every way out of a batch (requeue, failure, reorg,
 *   operator action) — rare, and about one payment. A row that takes a payment out of its batch names the batch it
 *   left (`detail.leftBatchId`), so a payment's batches are always found from the payment
 *   ({@link PAYMENT_BATCHES_FUNCTION_SQL}) and a batch's payments from the batch ({@link BATCH_PAYMENTS_FUNCTION_SQL}).
 *
 * Readers see one history per payment through {@link PAYMENT_EVENTS_FUNCTION_SQL} (`tollgate_payment_events(id)`).
 * The console rollups count acceptance from the inserted payment rows ({@link PAYMENTS_CREATED_ROLLUP_SQL}), the
 * queue step from the updated ones ({@link PAYMENTS_QUEUED_ROLLUP_SQL}) and a step row once per payment it lists
 * ({@link PAYMENT_EVENTS_ROLLUP_SQL}), so their totals are unchanged.
 *
 * This file is the source of truth of these functions; migrations 1764020000000 and 1764040000000 install them (a
 * change = edit here AND add a migration that runs them again).
 */

/** The id under which a payment's history shows its acceptance, recorded by its row (`created_at`). */
export const ACCEPTANCE_EVENT_ID = -2;

/** The id under which a payment's history shows its queue step (`verified → queued`), recorded by its row (`queued_at`). */
export const QUEUED_STEP_EVENT_ID = -1;

/**
 * `tollgate_payment_batches(payment_id uuid)`: every batch the payment was ever claimed into, each once: its current
 * one (`payments_all.batch_id`), those its own rows name (`detail.batchId`: a `batched` row written before migration
 * 1764020000000, or the batch whose transaction was found to have settled it) and those it left (`detail.leftBatchId`,
 * which every transition that takes a payment out of its batch records, PaymentLedger).
 */
export const PAYMENT_BATCHES_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION tollgate_payment_batches(p_payment_id uuid)
  RETURNS SETOF uuid LANGUAGE sql STABLE AS $fn$
    SELECT p.batch_id FROM payments_all p WHERE p.id = p_payment_id AND p.batch_id IS NOT NULL
    UNION
    SELECT (m.detail->>'batchId')::uuid FROM payment_events m WHERE m.payment_id = p_payment_id AND m.detail ? 'batchId'
    UNION
    SELECT (m.detail->>'leftBatchId')::uuid FROM payment_events m WHERE m.payment_id = p_payment_id AND m.detail ? 'leftBatchId'
  $fn$`;

/**
 * `tollgate_batch_payments(batch_id uuid)`: every payment ever claimed into the batch (those that left it too), each
 * once: the payments its `→ batched` step row lists, or, for a batch built before migration 1764020000000, those
 * with a `→ batched` row of their own naming it. Found through `idx_payment_events_batch_id`.
 */
export const BATCH_PAYMENTS_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION tollgate_batch_payments(p_batch_id uuid)
  RETURNS SETOF uuid LANGUAGE sql STABLE AS $fn$
    SELECT DISTINCT x.payment_id
      FROM payment_events e CROSS JOIN LATERAL unnest(coalesce(e.payment_ids, ARRAY[e.payment_id])) AS x(payment_id)
     WHERE e.to_status = 'batched' AND e.detail->>'batchId' = p_batch_id::text
  $fn$`;

/**
 * `tollgate_payment_events(payment_id uuid)`: the payment's history, each row with `payment_id` = the payment:
 * the steps its row in `payments_all` records — its acceptance (id {@link ACCEPTANCE_EVENT_ID}, at `created_at`,
 * unless an event row of its own records it) and its queue step (id {@link QUEUED_STEP_EVENT_ID}, at `queued_at`,
 * or at the `previousQueuedAt` of the first operator retry that reset it; unless an event row of its own records how
 * it left `verified`) — its own rows, and the step rows that list it of its batches (`tollgate_payment_batches`), found batch by
 * batch through `idx_payment_events_batch_steps`, never by scanning step rows (`OFFSET 0` keeps the planner from
 * flattening the per-batch lookup into a join over every step row). Unordered: callers `ORDER BY id` (ids are drawn
 * in transition order, a step's before its second edge's; the row's own steps are negative, so first).
 * `withQueueStep` false: the function as migration 1764020000000 installed it (acceptance only, with id 0).
 */
function paymentEventsFunctionSql(withQueueStep: boolean): string {
  const recorded = withQueueStep
    ? `SELECT ${ACCEPTANCE_EVENT_ID}::bigint, p.id, NULL::text, 'verified'::text, NULL::text, NULL::jsonb, p.created_at
      FROM payments_all p
     WHERE p.id = p_payment_id
       AND NOT EXISTS (SELECT 1 FROM payment_events v WHERE v.payment_id = p_payment_id AND v.to_status = 'verified')
    UNION ALL
    SELECT ${QUEUED_STEP_EVENT_ID}::bigint, p.id, 'verified'::text, 'queued'::text, NULL::text, NULL::jsonb,
           coalesce((SELECT (r.detail->>'previousQueuedAt')::timestamptz FROM payment_events r
                      WHERE r.payment_id = p_payment_id AND r.detail ? 'previousQueuedAt' ORDER BY r.id LIMIT 1), p.queued_at)
      FROM payments_all p
     WHERE p.id = p_payment_id AND p.queued_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM payment_events v WHERE v.payment_id = p_payment_id AND v.from_status = 'verified')`
    : `SELECT 0::bigint, p.id, NULL::text, 'verified'::text, NULL::text, NULL::jsonb, p.created_at
      FROM payments_all p
     WHERE p.id = p_payment_id
       AND NOT EXISTS (SELECT 1 FROM payment_events v WHERE v.payment_id = p_payment_id AND v.to_status = 'verified')`;
  return `CREATE OR REPLACE FUNCTION tollgate_payment_events(p_payment_id uuid)
  RETURNS TABLE (id bigint, payment_id uuid, from_status text, to_status text, reason text, detail jsonb, created_at timestamptz)
  LANGUAGE sql STABLE AS $fn$
    ${recorded}
    UNION ALL
    SELECT e.id, e.payment_id, e.from_status, e.to_status, e.reason, e.detail, e.created_at
      FROM payment_events e
     WHERE e.payment_id = p_payment_id
    UNION ALL
    SELECT s.id, p_payment_id, s.from_status, s.to_status, s.reason, s.detail, s.created_at
      FROM tollgate_payment_batches(p_payment_id) b(batch_id)
     CROSS JOIN LATERAL (SELECT s.* FROM payment_events s
                          WHERE s.payment_id IS NULL AND s.detail->>'batchId' = b.batch_id::text AND p_payment_id = ANY(s.payment_ids)
                         OFFSET 0) s
  $fn$`;
}

/** Installs {@link paymentEventsFunctionSql} as it is now. */
export const PAYMENT_EVENTS_FUNCTION_SQL = paymentEventsFunctionSql(true);

/** The history function before migration 1764040000000 (its down). */
export const PAYMENT_EVENTS_FUNCTION_BEFORE_QUEUE_STEP_SQL = paymentEventsFunctionSql(false);

/** First key of the two-int advisory locks claiming a rollup shard (migration 1763940000000; second key: the shard). */
const ROLLUP_SHARD_LOCK_SPACE = 1919708276;

/**
 * plpgsql: claims a rollup shard into `v_shard` that no other open transaction holds (migration 1763940000000), so
 * no two open transactions ever write the same rollup row. Re-entrant: a transaction that claimed this shard in an
 * earlier statement gets it again at once.
 */
const CLAIM_SHARD = `
        WHILE NOT pg_try_advisory_xact_lock(${ROLLUP_SHARD_LOCK_SPACE}, v_shard) LOOP
          v_try := v_try + 1;
          v_shard := CASE WHEN v_try < 8 THEN (pg_backend_pid() + v_try) % 8 ELSE v_try END;
        END LOOP;`;

/** The statement's new events, one row per payment: a batch step's row once per payment it lists. */
const EACH_PAYMENT = `(SELECT n.created_at, n.to_status, n.reason, n.payment_id FROM new_events n WHERE n.payment_ids IS NULL
                  UNION ALL
                  SELECT n.created_at, n.to_status, n.reason, x.payment_id FROM new_events n CROSS JOIN LATERAL unnest(n.payment_ids) AS x(payment_id)
                   WHERE n.payment_ids IS NOT NULL)`;

/**
 * The console rollups' trigger (`payment_activity`, `payment_status_totals`; shards as migration 1763940000000
 * made them), counting a batch step's row once per payment it lists, so the totals are what one row per
 * payment gave. Each listed payment is looked up by primary key (`LATERAL … OFFSET 0`): the planner takes an
 * `unnest` of a column for 100 rows, and with plain joins it hashed the whole `payments` table on every accept
 * (measured: the `payment_activity` insert went from 0.14 to 2.3 ms per accept statement).
 */
export const PAYMENT_EVENTS_ROLLUP_SQL = `CREATE OR REPLACE FUNCTION payment_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_try int := 0;
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN${CLAIM_SHARD}
        INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
        SELECT date_trunc('minute', e.created_at), e.to_status,
               CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*),
               coalesce(sum(p.amount), 0)
          FROM ${EACH_PAYMENT} e
          LEFT JOIN LATERAL (SELECT p.amount FROM payments p WHERE e.to_status = 'included' AND p.id = e.payment_id OFFSET 0) p ON true
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n, included_amount = a.included_amount + excluded.included_amount;
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*)
          FROM ${EACH_PAYMENT} e
         CROSS JOIN LATERAL (SELECT p.merchant_id FROM payments p WHERE p.id = e.payment_id OFFSET 0) p
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END $$`;

/**
 * A console-rollup trigger function on `payments` for a step the payment row records instead of an event row: counts
 * the step `to` once per payment `steps` selects (`merchant_id`, `at`: when it was taken), in the same shards and
 * buckets as the events trigger ({@link PAYMENT_EVENTS_ROLLUP_SQL}). `any` is the statement's cheap early exit (no
 * shard is claimed when it finds nothing).
 */
function rowStepRollupSql(fn: string, to: 'verified' | 'queued', any: string, steps: string): string {
  return `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_try int := 0;
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN
        IF NOT EXISTS (${any}) THEN
          RETURN NULL;
        END IF;${CLAIM_SHARD}
        WITH s AS MATERIALIZED (
          ${steps}
        ), activity AS (
          INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
          SELECT date_trunc('minute', s.at), '${to}', '', v_shard, count(*), 0 FROM s
           GROUP BY 1 ORDER BY 1
          ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n
        )
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT s.merchant_id, '${to}', '', v_shard, count(*) FROM s
         GROUP BY 1 ORDER BY 1
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END $$`;
}

/**
 * The console rollups' trigger on `payments` (AFTER INSERT, per statement): a payment inserted `verified` (the
 * accept rule) counts as a `→ verified` step, which no event row records any more.
 */
export const PAYMENTS_CREATED_ROLLUP_SQL = rowStepRollupSql(
  'payments_created_rollup',
  'verified',
  `SELECT 1 FROM new_rows WHERE status = 'verified'`,
  `SELECT r.merchant_id, r.created_at AS at FROM new_rows r WHERE r.status = 'verified'`,
);

/** The trigger running {@link PAYMENTS_CREATED_ROLLUP_SQL}. */
export const PAYMENTS_CREATED_ROLLUP_TRIGGER_SQL = `CREATE TRIGGER trg_payments_created_rollup AFTER INSERT ON payments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payments_created_rollup()`;

/**
 * The console rollups' trigger on `payments` (AFTER UPDATE, per statement): a payment moved from `verified` to
 * `queued` with `queued_at` set (the ledger's queue step, which writes no event row) counts as a `→ queued` step at
 * `queued_at`. A `verified → queued` move that leaves `queued_at` as it was is one the ledger recorded with an
 * event row (none does today; the events trigger counts those). Statements that move no verified payment (every
 * batch step, lapses aside) leave after one look at their old rows.
 */
export const PAYMENTS_QUEUED_ROLLUP_SQL = rowStepRollupSql(
  'payments_queued_rollup',
  'queued',
  `SELECT 1 FROM old_rows WHERE status = 'verified'`,
  `SELECT n.merchant_id, n.queued_at AS at FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE o.status = 'verified' AND n.status = 'queued' AND n.queued_at IS DISTINCT FROM o.queued_at`,
);

/** The trigger running {@link PAYMENTS_QUEUED_ROLLUP_SQL}. */
export const PAYMENTS_QUEUED_ROLLUP_TRIGGER_SQL = `CREATE TRIGGER trg_payments_queued_rollup AFTER UPDATE ON payments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payments_queued_rollup()`;
