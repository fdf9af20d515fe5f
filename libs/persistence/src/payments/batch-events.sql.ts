/**
 * Batch-step events (issue #16, write amplification): the steps an EVM batch takes as one transaction —
 * `batched → submitted`, `submitted → included`, `included → confirmed` — are recorded as ONE `payment_events`
 * row per step for the whole batch instead of one per payment. Such a row has `payment_id` NULL, lists the
 * payments it moved in `payment_ids` (uuid[], in id order) and names the batch in `detail.batchId`. A 200-payment
 * batch writes 3 rows for its three steps where it wrote 600 (3 of the 6 event rows a payment cost end to end).
 *
 * History stays complete and exact: every payment that took the step is listed by id in the step's row.
 * A payment's own rows stay per payment — `verified`, `queued`, `batched` (its membership in a batch: the
 * `detail.batchId` by which a batch's payments and a payment's batches are found), and every departure from a
 * batch (requeue, failure, reorg, operator action), which are rare and concern one payment. A step is recorded
 * this way only for payments the worker loaded from the batch itself (`payments.batch_id`), which only a row
 * of their own naming that batch sets, so every step row a payment is listed in is found from its own rows.
 *
 * Readers see one history per payment through {@link PAYMENT_EVENTS_FUNCTION_SQL} (`tollgate_payment_events(id)`):
 * its own rows, plus the step rows that list it of the batches its own rows name (`batched` into one, or attached to
 * the batch whose transaction settled it), found batch by batch
 * through the batch index (`idx_payment_events_batch_steps`), never by scanning step rows (`OFFSET 0` keeps the
 * planner from flattening the per-batch lookup into a join over every step row). Statistics (the console rollups) count a step
 * row once per payment it lists ({@link PAYMENT_EVENTS_ROLLUP_SQL}).
 *
 * This file is the source of truth of both functions; migration 1764020000000 installs them (a change = edit
 * here AND add a migration that runs them again).
 */

/** The columns a history row has, in the order `tollgate_payment_events` answers them. */
export const PAYMENT_EVENT_COLUMNS = 'id, payment_id, from_status, to_status, reason, detail, created_at';

/**
 * `tollgate_payment_events(payment_id uuid)`: the payment's history, every row it took part in (its own and the
 * batch steps that list it), each with `payment_id` = the payment. Unordered: callers `ORDER BY id` (ids are
 * drawn in transition order, a step's before its second edge's). STABLE SQL, so Postgres inlines it into the
 * caller's query.
 */
export const PAYMENT_EVENTS_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION tollgate_payment_events(p_payment_id uuid)
  RETURNS TABLE (id bigint, payment_id uuid, from_status text, to_status text, reason text, detail jsonb, created_at timestamptz)
  LANGUAGE sql STABLE AS $fn$
    SELECT e.id, e.payment_id, e.from_status, e.to_status, e.reason, e.detail, e.created_at
      FROM payment_events e
     WHERE e.payment_id = p_payment_id
    UNION ALL
    SELECT s.id, p_payment_id, s.from_status, s.to_status, s.reason, s.detail, s.created_at
      FROM (SELECT DISTINCT m.detail->>'batchId' AS batch_id FROM payment_events m
             WHERE m.payment_id = p_payment_id AND m.detail ? 'batchId') b
     CROSS JOIN LATERAL (SELECT s.* FROM payment_events s
                          WHERE s.payment_id IS NULL AND s.detail->>'batchId' = b.batch_id AND p_payment_id = ANY(s.payment_ids)
                         OFFSET 0) s
  $fn$`;

/** First key of the two-int advisory locks claiming a rollup shard (migration 1763940000000; second key: the shard). */
const ROLLUP_SHARD_LOCK_SPACE = 1919708276;

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
      BEGIN
        -- Re-entrant: a transaction that claimed this shard in an earlier statement gets it again at once.
        WHILE NOT pg_try_advisory_xact_lock(${ROLLUP_SHARD_LOCK_SPACE}, v_shard) LOOP
          v_try := v_try + 1;
          v_shard := CASE WHEN v_try < 8 THEN (pg_backend_pid() + v_try) % 8 ELSE v_try END;
        END LOOP;
        INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
        SELECT date_trunc('minute', e.created_at), e.to_status,
               CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*),
               coalesce(sum(p.amount), 0)
          FROM new_events e
         CROSS JOIN LATERAL unnest(coalesce(e.payment_ids, ARRAY[e.payment_id])) AS x(payment_id)
          LEFT JOIN LATERAL (SELECT p.amount FROM payments p WHERE e.to_status = 'included' AND p.id = x.payment_id OFFSET 0) p ON true
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n, included_amount = a.included_amount + excluded.included_amount;
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*)
          FROM new_events e
         CROSS JOIN LATERAL unnest(coalesce(e.payment_ids, ARRAY[e.payment_id])) AS x(payment_id)
         CROSS JOIN LATERAL (SELECT p.merchant_id FROM payments p WHERE p.id = x.payment_id OFFSET 0) p
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END $$`;
