import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console at volume: rollups of payment transitions so the overview, failures and merchants pages
 * never count history, and small indexes for the searches that scanned `payments`.
 *
 * Rollups, maintained by one statement-level trigger on `payment_events` INSERT (the ledger and
 * `accept_payment` write an event for every transition, so nothing else changes):
 * - `payment_activity`: transitions per minute, target status and failure reason (failed/lapsed only),
 *   with the amount moved to `included`. The overview's 1 h / 24 h totals read ≤ 1,440 minutes of it.
 * - `payment_status_totals`: transitions ever, per merchant, target status and reason: the merchants
 *   page (payments = transitions to `verified`) and the failure counters of `/metrics`.
 * Contention: at 1,000 accepted payments/s every accept upserts the same minute row; the rows carry a
 * `shard` (the backend pid mod 8), so only backends on the same shard wait on each other's commit, and
 * readers sum the shards. Upserts are sorted by key, so two multi-row statements cannot deadlock; two
 * multi-statement worker transactions on the same shard that move payments to statuses in opposite orders
 * still can (Postgres aborts one after deadlock_timeout; its job retries).
 *
 * Indexes on `payments` (each entry is written for every non-HOT tuple version that matches):
 * - failure reason (partial, failed/lapsed only): nothing on accept or the happy path.
 * - transaction hash (hash, partial, tx_hash set): ≈ 2 entries per payment (included, confirmed).
 * - nonce (hash): one 4-byte-hash entry per tuple version (≈ 6 per payment over its life); the
 *   authorization's unique index leads with network/asset/payer and cannot serve a nonce alone.
 *
 * The backfill runs under the trigger's lock on `payment_events` (writes wait for it: seconds per
 * million events).
 */
export class ConsoleVolume1763870000000 implements MigrationInterface {
  name = 'ConsoleVolume1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_activity (
        bucket timestamptz NOT NULL,
        to_status text NOT NULL,
        reason text NOT NULL DEFAULT '',
        shard smallint NOT NULL DEFAULT 0,
        n bigint NOT NULL,
        included_amount numeric(78,0) NOT NULL DEFAULT 0,
        CONSTRAINT pk_payment_activity PRIMARY KEY (bucket, to_status, reason, shard)
      )`);
    await q.query(`
      CREATE TABLE payment_status_totals (
        merchant_id uuid NOT NULL,
        to_status text NOT NULL,
        reason text NOT NULL DEFAULT '',
        shard smallint NOT NULL DEFAULT 0,
        n bigint NOT NULL,
        CONSTRAINT pk_payment_status_totals PRIMARY KEY (merchant_id, to_status, reason, shard),
        CONSTRAINT fk_payment_status_totals_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE
      )`);
    // Reason kept only where the console groups by it; '' stands for none (primary keys take no NULL).
    await q.query(`
      CREATE FUNCTION payment_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN
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
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_payment_events_rollup AFTER INSERT ON payment_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION payment_events_rollup()`);
    await q.query(`
      INSERT INTO payment_activity (bucket, to_status, reason, n, included_amount)
      SELECT date_trunc('minute', e.created_at), e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END,
             count(*), coalesce(sum(p.amount), 0)
        FROM payment_events e LEFT JOIN payments p ON e.to_status = 'included' AND p.id = e.payment_id
       GROUP BY 1, 2, 3`);
    await q.query(`
      INSERT INTO payment_status_totals (merchant_id, to_status, reason, n)
      SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, count(*)
        FROM payment_events e JOIN payments p ON p.id = e.payment_id
       GROUP BY 1, 2, 3`);
    await q.query(`CREATE INDEX idx_payments_failure_reason_created_at ON payments (failure_reason, created_at DESC) WHERE failure_reason IS NOT NULL`);
    await q.query(`CREATE INDEX idx_payments_tx_hash ON payments USING hash (tx_hash) WHERE tx_hash IS NOT NULL`);
    await q.query(`CREATE INDEX idx_payments_nonce ON payments USING hash (nonce)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_payments_nonce`);
    await q.query(`DROP INDEX idx_payments_tx_hash`);
    await q.query(`DROP INDEX idx_payments_failure_reason_created_at`);
    await q.query(`DROP TRIGGER trg_payment_events_rollup ON payment_events`);
    await q.query(`DROP FUNCTION payment_events_rollup()`);
    await q.query(`DROP TABLE payment_status_totals`);
    await q.query(`DROP TABLE payment_activity`);
  }
}
