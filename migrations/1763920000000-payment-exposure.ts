import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENT_SQL } from '../libs/persistence/src/payments/accept-payment.sql';
import { EXPOSURE_GROUND_TRUTH_SQL, PAYMENT_EXPOSURE_SQL } from '../libs/persistence/src/payments/payment-exposure.sql';

/**
 * Maintained exposure (issue #16): `payment_exposure` holds, per payer and per merchant, the unsettled total
 * bucketed by expiry, kept by triggers on `payments` (libs/persistence/src/payments/payment-exposure.sql.ts),
 * and `tollgate_accept_payment` reads it instead of summing every in-flight payment (accept-payment.sql.ts).
 *
 * The two partial indexes on `payments` that served only the old guard sums are dropped: each wrote an entry
 * for every non-HOT version of an unsettled payment (≈ 4 per index per payment: verified, queued, batched,
 * submitted). The operator's "other unsettled" check (a retry, rare) now reads the payer's rows through
 * `idx_payments_payer_created_at`.
 *
 * The backfill (the same contributions, computed from `payments`) runs after `payments` is locked against writes (SHARE ROW EXCLUSIVE, which CREATE TRIGGER takes
 * anyway), so no payment changes between the backfill's snapshot and the triggers taking over.
 */
export class PaymentExposure1763920000000 implements MigrationInterface {
  name = 'PaymentExposure1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE`);
    // fillfactor: room on each page, so that adding to a partial row stays a HOT update (no index entry).
    await q.query(`
      CREATE TABLE payment_exposure (
        id bigint GENERATED ALWAYS AS IDENTITY,
        party text NOT NULL,
        party_id text NOT NULL,
        network text NOT NULL,
        asset text NOT NULL,
        by_minute boolean NOT NULL,
        bucket timestamptz NOT NULL,
        amount numeric(78,0) NOT NULL,
        CONSTRAINT pk_payment_exposure PRIMARY KEY (id),
        CONSTRAINT ck_payment_exposure_party CHECK (party IN ('payer', 'merchant'))
      ) WITH (fillfactor = 70)`);
    await q.query(`CREATE INDEX idx_payment_exposure_bucket ON payment_exposure (party, party_id, network, asset, by_minute, bucket)`);
    for (const sql of PAYMENT_EXPOSURE_SQL) await q.query(sql);
    await q.query(`
      CREATE TRIGGER trg_payments_exposure_insert AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tollgate_payments_exposure()`);
    await q.query(`
      CREATE TRIGGER trg_payments_exposure_update AFTER UPDATE ON payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tollgate_payments_exposure()`);
    await q.query(`
      CREATE TRIGGER trg_payments_exposure_delete AFTER DELETE ON payments REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tollgate_payments_exposure()`);
    await q.query(`CREATE TRIGGER trg_payments_exposure_truncate AFTER TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION tollgate_payments_exposure()`);
    await q.query(`
      INSERT INTO payment_exposure (party, party_id, network, asset, by_minute, bucket, amount)
      SELECT party, party_id, network, asset, by_minute, bucket, amount FROM (${EXPOSURE_GROUND_TRUTH_SQL}) t`);
    await q.query(ACCEPT_PAYMENT_SQL);
    await q.query(`DROP INDEX idx_payments_unsettled_payer`);
    await q.query(`DROP INDEX idx_payments_unsettled_merchant`);
  }

  async down(): Promise<void> {
    // The accept function installed above reads payment_exposure; dropping it means re-installing an older
    // accept body as well, which belongs in a forward migration, not here.
    throw new Error('PaymentExposure1763920000000 is not reversible; add a forward migration instead');
  }
}
