import { MigrationInterface, QueryRunner } from 'typeorm';
import { PAYMENT_EVENTS_FUNCTION_SQL, PAYMENT_EVENTS_ROLLUP_SQL } from '../libs/persistence/src/payments/batch-events.sql';
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
 * One `payment_events` row per step of an EVM batch instead of one per payment (issue #16, write amplification;
 * libs/persistence/src/payments/batch-events.sql.ts says what a step row is and how readers see it):
 *
 * - `payment_id` may be NULL (a step row), and `payment_ids` lists the payments a step row moved.
 * - `idx_payment_events_batch_steps` finds a batch's step rows (partial: per-payment rows take no entry).
 * - `tollgate_payment_events(uuid)` answers a payment's whole history; the rollup trigger counts a step row once
 *   per payment it lists.
 * - Webhook deliveries of one step share its event id, so their uniqueness is per (event, payment, endpoint).
 *
 * Adding a nullable column and dropping NOT NULL rewrite nothing; the two indexes are built here (on a large
 * `payment_events` or `webhook_deliveries`, build them CONCURRENTLY per partition beforehand). Existing rows stay
 * as they are: a per-payment row per step for the payments settled before.
 */
export class BatchStepEvents1764020000000 implements MigrationInterface {
  name = 'BatchStepEvents1764020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_events ALTER COLUMN payment_id DROP NOT NULL, ADD COLUMN payment_ids uuid[]`);
    await q.query(`CREATE INDEX idx_payment_events_batch_steps ON payment_events ((detail->>'batchId')) WHERE payment_id IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_payment_event_payment_endpoint ON webhook_deliveries (payment_event_id, payment_id, endpoint_id)
        WHERE payment_event_id IS NOT NULL AND replay_of IS NULL`,
    );
    await q.query(`DROP INDEX uq_webhook_deliveries_payment_event_endpoint`);
    await q.query(PAYMENT_EVENTS_FUNCTION_SQL);
    await q.query(PAYMENT_EVENTS_ROLLUP_SQL);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    // Step rows become one row per listed payment again (same id and time: a payment's history keeps its order);
    // the rollups counted them per payment already, so the trigger stays out of it.
    // A step's deliveries shared its id; the old uniqueness (one per event and endpoint) cannot hold for them.
    await q.query(`UPDATE webhook_deliveries SET payment_event_id = NULL WHERE payment_event_id IN (SELECT id FROM payment_events WHERE payment_id IS NULL)`);
    await q.query(`ALTER TABLE payment_events DISABLE TRIGGER trg_payment_events_rollup`);
    await q.query(
      `INSERT INTO payment_events (id, payment_id, from_status, to_status, reason, detail, created_at)
       SELECT s.id, x.payment_id, s.from_status, s.to_status, s.reason, s.detail, s.created_at
         FROM payment_events s CROSS JOIN LATERAL unnest(s.payment_ids) AS x(payment_id) WHERE s.payment_id IS NULL`,
    );
    await q.query(`DELETE FROM payment_events WHERE payment_id IS NULL`);
    await q.query(`ALTER TABLE payment_events ENABLE TRIGGER trg_payment_events_rollup`);
    await q.query(`DROP FUNCTION tollgate_payment_events(uuid)`);
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
