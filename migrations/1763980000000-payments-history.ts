import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment history leaves the hot table (issue #16, "History at volume"). `payments` keeps what is in flight and
 * what finished recently; a payment that is final (`confirmed`, `failed`, `lapsed`), whose authorization has
 * expired (`valid_before` passed) and that has not changed for `PAYMENTS_HOT_SECONDS` moves into
 * `payments_history` (the worker's history loop, {@link PaymentsHistory.moveFinal}), a table partitioned by range
 * on `created_at` like `payment_events`, archived and dropped a day at a time by `npm run archive`.
 *
 * Why `payments` itself is not partitioned: one payment per authorization is enforced by the unique index on
 * `(network, asset, payer, nonce)`, and a partitioned table can only have a unique index that holds the partition
 * key (which would no longer stop the same authorization in two partitions). A payment moves only once its
 * authorization can never verify again (`valid_before` passed), so the unique index on the hot table still
 * guards every authorization that can.
 *
 * - `payments_history` has the columns of `payments` in the same order (`LIKE`), so rows move with
 *   `INSERT … SELECT *` and `payments_all` can be a plain `UNION ALL`. A migration that adds a column to
 *   `payments` must add it here too and recreate the view.
 * - Its primary key is `(id, created_at)` (the partition key must be in it); its indexes serve the readers only
 *   (merchant API, public status, console search and batch pages): no unique, queue or open-status index.
 * - Partitions: `payments_history_legacy` for everything created before the migration day (a deployment's first
 *   moves fill it), then one per UTC day (`payments_history_pYYYYMMDD`), seven days ahead, kept ahead by the
 *   worker like `payment_events`; `payments_history_default` catches anything else.
 * - `payments_all` = `payments` UNION ALL `payments_history`: what readers of a payment that may be old use.
 * - Three foreign keys into `payments` are dropped, since a row that moves would otherwise take its references with it:
 *   `webhook_deliveries.payment_id` (ON DELETE CASCADE: the move would have deleted the delivery log),
 *   `settle_requests.payment_id` (SET NULL: it would have cut the link) and `svm_transactions.payment_id`
 *   (it would have refused the move). They keep the id as a plain reference; every writer of them writes it in
 *   the transaction that creates or reads the payment.
 */
export class PaymentsHistory1763980000000 implements MigrationInterface {
  name = 'PaymentsHistory1763980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT fk_webhook_deliveries_payment_id`);
    await q.query(`ALTER TABLE settle_requests DROP CONSTRAINT fk_settle_requests_payment_id`);
    await q.query(`ALTER TABLE svm_transactions DROP CONSTRAINT svm_transactions_payment_id_fkey`);
    await q.query(`
      CREATE TABLE payments_history (
        LIKE payments INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
        CONSTRAINT pk_payments_history PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await q.query(`CREATE INDEX idx_payments_history_reference ON payments_history USING hash (reference)`);
    await q.query(`CREATE INDEX idx_payments_history_merchant_id_created_at ON payments_history (merchant_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_history_payer_created_at ON payments_history (payer, created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_history_created_at ON payments_history (created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_history_nonce ON payments_history USING hash (nonce)`);
    await q.query(`CREATE INDEX idx_payments_history_tx_hash ON payments_history USING hash (tx_hash) WHERE tx_hash IS NOT NULL`);
    await q.query(`CREATE INDEX idx_payments_history_batch_id ON payments_history (batch_id) WHERE batch_id IS NOT NULL`);
    await q.query(
      `CREATE INDEX idx_payments_history_failure_reason_created_at ON payments_history (failure_reason, created_at DESC) WHERE failure_reason IS NOT NULL`,
    );
    await q.query(`
      DO $$
      DECLARE
        d0 timestamptz := date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      BEGIN
        EXECUTE format('CREATE TABLE payments_history_legacy PARTITION OF payments_history FOR VALUES FROM (MINVALUE) TO (%L::timestamptz)', d0);
        FOR i IN 0..7 LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF payments_history FOR VALUES FROM (%L::timestamptz) TO (%L::timestamptz)',
                         'payments_history_p' || to_char((d0 + i * interval '1 day') AT TIME ZONE 'UTC', 'YYYYMMDD'),
                         d0 + i * interval '1 day', d0 + (i + 1) * interval '1 day');
        END LOOP;
      END $$`);
    await q.query(`CREATE TABLE payments_history_default PARTITION OF payments_history DEFAULT`);
    await q.query(`CREATE VIEW payments_all AS SELECT * FROM payments UNION ALL SELECT * FROM payments_history`);
  }

  async down(q: QueryRunner): Promise<void> {
    // History moves back into the hot table (archived partitions are gone either way).
    await q.query(`DROP VIEW payments_all`);
    await q.query(`INSERT INTO payments SELECT * FROM payments_history`);
    await q.query(`DROP TABLE payments_history`);
    await q.query(`DELETE FROM settle_requests s WHERE payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = s.payment_id)`);
    await q.query(`DELETE FROM webhook_deliveries d WHERE payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = d.payment_id)`);
    await q.query(`DELETE FROM svm_transactions s WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = s.payment_id)`);
    await q.query(`ALTER TABLE svm_transactions ADD CONSTRAINT svm_transactions_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)`);
    await q.query(`ALTER TABLE settle_requests ADD CONSTRAINT fk_settle_requests_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE SET NULL`);
    await q.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT fk_webhook_deliveries_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE CASCADE`,
    );
  }
}
