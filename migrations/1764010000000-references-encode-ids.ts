import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENT_SQL, ACCEPT_PAYMENTS_SQL } from '../libs/persistence/src/payments/accept-payment.sql';
import { HOT_PATH_PLAN_SQL } from '../libs/persistence/src/payments/hot-path-plans.sql';
import { PAYMENT_ID_FUNCTION_SQL, REFERENCE_ID_FUNCTION_SQL, UNENCODED_REFERENCE_SQL } from '../libs/persistence/src/payments/payment-reference';

/**
 * A payment's id is the one its reference encodes, and `payments` keeps no unique index of every reference
 * (issue #16, write amplification: that index took an entry at every row version, five per payment end to end).
 * libs/persistence/src/payments/payment-reference.ts says how lookups work; the accept functions
 * (accept-payment.sql.ts) are re-installed to take the id from the reference, and get their plan setting back.
 *
 * Existing payments keep their ids and references: their references encode no id of theirs, so they are exactly
 * the rows of the new partial unique index (built here, one scan of `payments`; on a large table build
 * `uq_payments_reference_unencoded` beforehand with CREATE UNIQUE INDEX CONCURRENTLY, and this migration reuses it).
 */
export class ReferencesEncodeIds1764010000000 implements MigrationInterface {
  name = 'ReferencesEncodeIds1764010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(REFERENCE_ID_FUNCTION_SQL);
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS uq_payments_reference_unencoded ON payments (reference) WHERE ${UNENCODED_REFERENCE_SQL}`);
    await q.query(`ALTER TABLE payments DROP CONSTRAINT uq_payments_reference`);
    await q.query(`DROP INDEX idx_payments_history_reference`);
    await q.query(`CREATE INDEX idx_payments_history_reference_unencoded ON payments_history USING hash (reference) WHERE ${UNENCODED_REFERENCE_SQL}`);
    await q.query(PAYMENT_ID_FUNCTION_SQL);
    await q.query(ACCEPT_PAYMENT_SQL);
    await q.query(ACCEPT_PAYMENTS_SQL);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    // Payments created meanwhile keep their (reference-derived) ids; only the indexes and lookups go back.
    await q.query(`ALTER TABLE payments ADD CONSTRAINT uq_payments_reference UNIQUE (reference)`);
    await q.query(`CREATE INDEX idx_payments_history_reference ON payments_history USING hash (reference)`);
    await q.query(`DROP INDEX idx_payments_history_reference_unencoded`);
    await q.query(`DROP INDEX uq_payments_reference_unencoded`);
    await q.query(`DROP FUNCTION tollgate_payment_id(text)`);
    // The accept functions keep calling tollgate_reference_id, which stays.
  }
}
