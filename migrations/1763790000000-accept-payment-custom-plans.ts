import { MigrationInterface, QueryRunner } from 'typeorm';

const SIGNATURE =
  'tollgate_accept_payment(text, text, text, text, text, uuid, numeric, numeric, numeric, text, smallint, text, text, numeric, numeric, timestamptz, text, jsonb)';

/**
 * plpgsql caches a generic plan per connection after a few calls. Chosen while `payments` is small or
 * never analysed, it can stick to the wrong index (the merchant's unsettled index for the payer's sum,
 * a payer index for the authorization lookup) for the life of a pooled connection. Custom plans are
 * re-planned with current statistics on each call; planning these few statements costs microseconds.
 */
export class AcceptPaymentCustomPlans1763790000000 implements MigrationInterface {
  name = 'AcceptPaymentCustomPlans1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${SIGNATURE} SET plan_cache_mode = force_custom_plan`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${SIGNATURE} RESET plan_cache_mode`);
  }
}
