import { MigrationInterface, QueryRunner } from 'typeorm';

/** Statuses a payment never leaves: the predicate of every index below. */
const FINAL = `status IN ('confirmed', 'failed', 'lapsed')`;

/**
 * The readers' indexes on `payments` cover finished payments only (issue #16, write amplification).
 *
 * Every transition of a payment changes `status`, which other indexes hold, so no transition is a HOT update:
 * each one adds an entry to every index whose predicate the new row version meets. The indexes that serve only
 * readers — a merchant's payments by time, a payer's, the newest first, a nonce or a transaction hash searched
 * in the console — took an entry at every step of every payment (≈ 5 each per payment end to end), although
 * no settlement statement reads them. Made partial on the final statuses, each takes one entry per payment, at
 * its last transition: ≈ 17 index entries fewer per payment.
 *
 * The payments in flight are few (what is verified but not settled, or queued, or on its way into a block) and
 * are found through `idx_payments_open_status`, whose predicate is their complement. A reader that filters or
 * orders by these columns reads the finished and the in-flight payments as two legs (`newestPaymentsSql`,
 * payments-history.ts); point lookups (id, reference, batch) keep their full indexes. `payments_all` stays
 * a plain `UNION ALL` of two tables: a leg with a WHERE clause would keep Postgres from flattening the view, and
 * a join on it (the batch page, the delivery logs) would then read every payment.
 *
 * On a large existing table, build the new indexes beforehand with `CREATE INDEX CONCURRENTLY` under these
 * names; the migration then only drops the old ones.
 */
export class PaymentsReaderIndexesFinal1763990000000 implements MigrationInterface {
  name = 'PaymentsReaderIndexesFinal1763990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS idx_payments_final_merchant_id_created_at ON payments (merchant_id, created_at DESC) WHERE ${FINAL}`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_payments_final_payer_created_at ON payments (payer, created_at DESC) WHERE ${FINAL}`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_payments_final_created_at ON payments (created_at DESC) WHERE ${FINAL}`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_payments_final_nonce ON payments USING hash (nonce) WHERE ${FINAL}`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_payments_final_tx_hash ON payments USING hash (tx_hash) WHERE tx_hash IS NOT NULL AND ${FINAL}`);
    await q.query(`DROP INDEX idx_payments_merchant_id_created_at`);
    await q.query(`DROP INDEX idx_payments_payer_created_at`);
    await q.query(`DROP INDEX idx_payments_created_at`);
    await q.query(`DROP INDEX idx_payments_nonce`);
    await q.query(`DROP INDEX idx_payments_tx_hash`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_payments_merchant_id_created_at ON payments (merchant_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_payer_created_at ON payments (payer, created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_created_at ON payments (created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_nonce ON payments USING hash (nonce)`);
    await q.query(`CREATE INDEX idx_payments_tx_hash ON payments USING hash (tx_hash) WHERE tx_hash IS NOT NULL`);
    await q.query(`DROP INDEX idx_payments_final_merchant_id_created_at`);
    await q.query(`DROP INDEX idx_payments_final_payer_created_at`);
    await q.query(`DROP INDEX idx_payments_final_created_at`);
    await q.query(`DROP INDEX idx_payments_final_nonce`);
    await q.query(`DROP INDEX idx_payments_final_tx_hash`);
  }
}
