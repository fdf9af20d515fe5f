import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENT_SQL, ACCEPT_PAYMENTS_SQL, ACCEPT_WITH_LEGACY_EXPOSURE_SQL } from '../libs/persistence/src/payments/accept-payment.sql';
import { HOT_PATH_PLAN_SQL } from '../libs/persistence/src/payments/hot-path-plans.sql';
import { paymentExposureSql, rebuildExposureSql } from '../libs/persistence/src/payments/payment-exposure.sql';

/**
 * The exposure guard counts every unsettled payment until 60 s past its `validBefore`, whatever its status
 * (rule `until-expiry`, libs/persistence/src/payments/payment-exposure.sql.ts says why that is the money that can
 * still move). Before, a payment was moved at `/settle` from its expiry buckets into a never-expiring one (three
 * `payment_exposure` writes per payment, per settle statement) to keep counting it after it could no longer
 * settle; now its steps from `verified` to `submitted` write nothing there (issue #16, write amplification).
 *
 * The trigger also updates the partial rows it picked by primary key (`id = ANY (ARRAY(…))`): its join to them had
 * a cached generic plan that walked and hashed the whole primary key, so every accept read every exposure row
 * (hot-path-plans.int-spec.ts).
 *
 * Re-installs the trigger function and both accept functions (their guards read the new horizon), pins their
 * plans again (a CREATE OR REPLACE drops the SET clause) and rebuilds every total from `payments` under the new
 * rule, with writers to `payments` locked out for this migration's transaction. Down does the same with the
 * previous rule.
 */
export class ExposureUntilExpiry1764030000000 implements MigrationInterface {
  name = 'ExposureUntilExpiry1764030000000';

  async up(q: QueryRunner): Promise<void> {
    // Rebuilt first: its lock keeps every writer of `payments` out until this transaction commits.
    for (const sql of rebuildExposureSql('until-expiry')) await q.query(sql);
    for (const sql of paymentExposureSql('until-expiry')) await q.query(sql);
    await q.query(ACCEPT_PAYMENT_SQL);
    await q.query(ACCEPT_PAYMENTS_SQL);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of rebuildExposureSql('legacy')) await q.query(sql);
    for (const sql of paymentExposureSql('legacy')) await q.query(sql);
    for (const sql of ACCEPT_WITH_LEGACY_EXPOSURE_SQL) await q.query(sql);
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }
}
