import { MigrationInterface, QueryRunner } from 'typeorm';
import { PAYMENT_EXPOSURE_SQL } from '../libs/persistence/src/payments/payment-exposure.sql';

/** The exposure functions as 1763920000000 installed them (for down()): a helper call per bucket. */
const PER_BUCKET_HELPER = `CREATE OR REPLACE FUNCTION tollgate_exposure_add(
     p_party text, p_party_id text, p_network text, p_asset text, p_by_minute boolean, p_bucket timestamptz, p_amount numeric
   ) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
  BEGIN
    UPDATE payment_exposure SET amount = amount + p_amount
     WHERE id = (SELECT e.id FROM payment_exposure e
                  WHERE e.party = p_party AND e.party_id = p_party_id AND e.network = p_network AND e.asset = p_asset
                    AND e.by_minute = p_by_minute AND e.bucket = p_bucket
                  LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF NOT FOUND THEN
      INSERT INTO payment_exposure (party, party_id, network, asset, by_minute, bucket, amount)
      VALUES (p_party, p_party_id, p_network, p_asset, p_by_minute, p_bucket, p_amount);
    END IF;
  END
$fn$`;
const PER_BUCKET_TRIGGER = `CREATE OR REPLACE FUNCTION tollgate_payments_exposure() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $fn$
  DECLARE
    v_delta record;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      FOR v_delta IN SELECT d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket, sum(d.amount) AS amount
            FROM (SELECT c.party, c.party_id, r.network, r.asset, b.by_minute, b.bucket, r.amount AS amount
            FROM new_rows r
           CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           CROSS JOIN LATERAL (VALUES (false, r.expires_at),
                                      (true, CASE WHEN r.status = 'verified' THEN date_trunc('minute', r.expires_at, 'UTC')
                                                  ELSE 'infinity'::timestamptz END)) AS b(by_minute, bucket)
           WHERE r.status IN ('verified', 'queued', 'batched', 'submitted') AND (r.status = 'verified' OR b.by_minute)) d
           GROUP BY d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket
          HAVING sum(d.amount) <> 0 LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.by_minute, v_delta.bucket,
                                      v_delta.amount);
      END LOOP;
    ELSIF TG_OP = 'UPDATE' THEN
      FOR v_delta IN SELECT d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket, sum(d.amount) AS amount
            FROM (SELECT c.party, c.party_id, r.network, r.asset, b.by_minute, b.bucket, r.amount AS amount
            FROM new_rows r
           CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           CROSS JOIN LATERAL (VALUES (false, r.expires_at),
                                      (true, CASE WHEN r.status = 'verified' THEN date_trunc('minute', r.expires_at, 'UTC')
                                                  ELSE 'infinity'::timestamptz END)) AS b(by_minute, bucket)
           WHERE r.status IN ('verified', 'queued', 'batched', 'submitted') AND (r.status = 'verified' OR b.by_minute) UNION ALL SELECT c.party, c.party_id, r.network, r.asset, b.by_minute, b.bucket, -r.amount AS amount
            FROM old_rows r
           CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           CROSS JOIN LATERAL (VALUES (false, r.expires_at),
                                      (true, CASE WHEN r.status = 'verified' THEN date_trunc('minute', r.expires_at, 'UTC')
                                                  ELSE 'infinity'::timestamptz END)) AS b(by_minute, bucket)
           WHERE r.status IN ('verified', 'queued', 'batched', 'submitted') AND (r.status = 'verified' OR b.by_minute)) d
           GROUP BY d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket
          HAVING sum(d.amount) <> 0 LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.by_minute, v_delta.bucket,
                                      v_delta.amount);
      END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
      FOR v_delta IN SELECT d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket, sum(d.amount) AS amount
            FROM (SELECT c.party, c.party_id, r.network, r.asset, b.by_minute, b.bucket, -r.amount AS amount
            FROM old_rows r
           CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           CROSS JOIN LATERAL (VALUES (false, r.expires_at),
                                      (true, CASE WHEN r.status = 'verified' THEN date_trunc('minute', r.expires_at, 'UTC')
                                                  ELSE 'infinity'::timestamptz END)) AS b(by_minute, bucket)
           WHERE r.status IN ('verified', 'queued', 'batched', 'submitted') AND (r.status = 'verified' OR b.by_minute)) d
           GROUP BY d.party, d.party_id, d.network, d.asset, d.by_minute, d.bucket
          HAVING sum(d.amount) <> 0 LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.by_minute, v_delta.bucket,
                                      v_delta.amount);
      END LOOP;
    ELSE
      DELETE FROM payment_exposure;
    END IF;
    RETURN NULL;
  END
$fn$`;

/**
 * The `payment_exposure` trigger applies a statement's deltas in one SQL statement instead of calling
 * `tollgate_exposure_add` once per bucket (a plpgsql call and up to two statements each, four buckets per
 * accepted payment): measured in a loop of 2,000 accepts, the trigger's time per accept went from ≈ 0.16–0.20
 * to ≈ 0.10–0.11 ms. Same rows written, same `FOR UPDATE SKIP LOCKED` choice of a partial row, so the
 * totals and the no-waiting property are unchanged (payment-exposure.int-spec.ts). The helper is dropped.
 */
export class ExposureSetBased1763960000000 implements MigrationInterface {
  name = 'ExposureSetBased1763960000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of PAYMENT_EXPOSURE_SQL) await q.query(sql);
    await q.query(`DROP FUNCTION IF EXISTS tollgate_exposure_add(text, text, text, text, boolean, timestamptz, numeric)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(PER_BUCKET_HELPER);
    await q.query(PER_BUCKET_TRIGGER);
  }
}
