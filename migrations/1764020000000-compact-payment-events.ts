import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENT_SQL, ACCEPT_PAYMENTS_SQL, ACCEPT_WITH_VERIFIED_EVENT_SQL } from '../libs/persistence/src/payments/accept-payment.sql';
import {
  BATCH_PAYMENTS_FUNCTION_SQL,
  PAYMENT_BATCHES_FUNCTION_SQL,
  PAYMENT_EVENTS_FUNCTION_SQL,
  PAYMENT_EVENTS_ROLLUP_SQL,
  PAYMENTS_CREATED_ROLLUP_SQL,
  PAYMENTS_CREATED_ROLLUP_TRIGGER_SQL,
} from '../libs/persistence/src/payments/payment-events.sql';
import { HOT_PATH_PLAN_SQL } from '../libs/persistence/src/payments/hot-path-plans.sql';

/** The rollup trigger's body before this migration (1763940000000), for down(). */
const ROLLUP_ONE_ROW_PER_PAYMENT = `CREATE OR REPLACE FUNCTION payment_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_try int := 0;
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN
        WHILE NOT pg_try_advisory_xact_lock(1919708276, v_shard) LOOP
          v_try := v_try + 1;
          v_shard := CASE WHEN v_try < 8 THEN (pg_backend_pid() + v_try) % 8 ELSE v_try END;
        END LOOP;
        INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
        SELECT date_trunc('minute', e.created_at), e.to_status,
               CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*),
               coalesce(sum(p.amount), 0)
          FROM new_events e LEFT JOIN payments p ON e.to_status = 'included' AND p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n, included_amount = a.included_amount + excluded.included_amount;
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*)
          FROM new_events e JOIN payments p ON p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END $$`;

/**
 * `payment_events` compacted (issue #16, write amplification; libs/persistence/src/payments/payment-events.sql.ts
 * says what is written and how readers see it): 6 event rows per payment end to end become 1 plus a share of 4 per batch.
 *
 * - The accept rule no longer writes a `→ verified` row (the payment row records it); the console rollups count
 *   acceptance from inserted payments (`trg_payments_created_rollup`).
 * - A batch's steps (its building included) are one row each; a row taking a payment out of its batch names it
 *   (`detail.leftBatchId`); `tollgate_payment_batches` and `tollgate_batch_payments` answer membership both ways.
 *   `payment_id` may be NULL, `payment_ids` lists the payments of a step row,
 *   `idx_payment_events_batch_steps` finds a batch's step rows (partial: per-payment rows take no entry).
 * - `tollgate_payment_events(uuid)` answers a payment's whole history; the events rollup counts a step row once per
 *   payment it lists.
 * - Webhook deliveries of one step share its event id, so their uniqueness is per (event, payment, endpoint).
 *
 * Adding a nullable column and dropping NOT NULL rewrite nothing; the two indexes are built here (on a large
 * `payment_events` or `webhook_deliveries`, build them CONCURRENTLY per partition beforehand). Existing rows stay
 * as they are: a per-payment row per step for the payments accepted and settled before.
 */
export class CompactPaymentEvents1764020000000 implements MigrationInterface {
  name = 'CompactPaymentEvents1764020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_events ALTER COLUMN payment_id DROP NOT NULL, ADD COLUMN payment_ids uuid[]`);
    await q.query(`CREATE INDEX idx_payment_events_batch_steps ON payment_events ((detail->>'batchId')) WHERE payment_id IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_payment_event_payment_endpoint ON webhook_deliveries (payment_event_id, payment_id, endpoint_id)
        WHERE payment_event_id IS NOT NULL AND replay_of IS NULL`,
    );
    await q.query(`DROP INDEX uq_webhook_deliveries_payment_event_endpoint`);
    await q.query(PAYMENT_BATCHES_FUNCTION_SQL);
    await q.query(BATCH_PAYMENTS_FUNCTION_SQL);
    await q.query(PAYMENT_EVENTS_FUNCTION_SQL);
    await q.query(PAYMENT_EVENTS_ROLLUP_SQL);
    await q.query(PAYMENTS_CREATED_ROLLUP_SQL);
    await q.query(PAYMENTS_CREATED_ROLLUP_TRIGGER_SQL);
    await q.query(`ALTER FUNCTION payments_created_rollup() SET enable_seqscan = off`);
    await q.query(ACCEPT_PAYMENT_SQL);
    await q.query(ACCEPT_PAYMENTS_SQL);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of ACCEPT_WITH_VERIFIED_EVENT_SQL) await q.query(sql);
    await q.query(`DROP TRIGGER trg_payments_created_rollup ON payments`);
    await q.query(`DROP FUNCTION payments_created_rollup()`);
    // Step rows become one row per listed payment again (same id and time: a payment's history keeps its order),
    // and acceptances get their row; the rollups counted both already, so the trigger stays out of it.
    // A step's deliveries shared its id; the old uniqueness (one per event and endpoint) cannot hold for them.
    await q.query(`UPDATE webhook_deliveries SET payment_event_id = NULL WHERE payment_event_id IN (SELECT id FROM payment_events WHERE payment_id IS NULL)`);
    await q.query(`ALTER TABLE payment_events DISABLE TRIGGER trg_payment_events_rollup`);
    await q.query(
      `INSERT INTO payment_events (id, payment_id, from_status, to_status, reason, detail, created_at)
       SELECT s.id, x.payment_id, s.from_status, s.to_status, s.reason, s.detail, s.created_at
         FROM payment_events s CROSS JOIN LATERAL unnest(s.payment_ids) AS x(payment_id) WHERE s.payment_id IS NULL`,
    );
    await q.query(`DELETE FROM payment_events WHERE payment_id IS NULL`);
    // Payments accepted meanwhile get their `→ verified` row back, at their acceptance.
    await q.query(
      `INSERT INTO payment_events (payment_id, from_status, to_status, created_at)
       SELECT p.id, NULL, 'verified', p.created_at FROM payments_all p
        WHERE NOT EXISTS (SELECT 1 FROM payment_events v WHERE v.payment_id = p.id AND v.to_status = 'verified')`,
    );
    await q.query(`ALTER TABLE payment_events ENABLE TRIGGER trg_payment_events_rollup`);
    await q.query(`DROP FUNCTION tollgate_payment_events(uuid)`);
    await q.query(`DROP FUNCTION tollgate_payment_batches(uuid)`);
    await q.query(`DROP FUNCTION tollgate_batch_payments(uuid)`);
    await q.query(ROLLUP_ONE_ROW_PER_PAYMENT);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
    await q.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_payment_event_endpoint ON webhook_deliveries (payment_event_id, endpoint_id)
        WHERE payment_event_id IS NOT NULL AND replay_of IS NULL`,
    );
    await q.query(`DROP INDEX uq_webhook_deliveries_payment_event_payment_endpoint`);
    await q.query(`DROP INDEX idx_payment_events_batch_steps`);
    await q.query(`ALTER TABLE payment_events DROP COLUMN payment_ids, ALTER COLUMN payment_id SET NOT NULL`);
  }
}
