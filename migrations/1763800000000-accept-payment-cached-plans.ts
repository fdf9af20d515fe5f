import { MigrationInterface, QueryRunner } from 'typeorm';

const SIGNATURE =
  'tollgate_accept_payment(text, text, text, text, text, uuid, numeric, numeric, numeric, text, smallint, text, text, numeric, numeric, timestamptz, text, jsonb)';

/**
 * Undoes migration 1763790000000 (`plan_cache_mode = force_custom_plan` on `tollgate_accept_payment`).
 *
 * Planning every statement of the function on every call was ≈ 40 % of its cost: 0.60 ms per call against
 * 0.37 ms with cached plans (pgbench, one client, 2 cores; perf showed the planner on top), on the path of
 * every /verify. The fear behind forcing custom plans — a generic plan cached while `payments` is tiny
 * picking `idx_payments_payer_created_at` (all of a payer's history) for the authorization lookup or a
 * sum — does not outlive the tiny table: Postgres re-plans a cached statement whenever the planner
 * statistics of a table it reads change, and autovacuum re-analyses `payments` after every 10 % of growth.
 * With real statistics the unique `(network, asset, payer, nonce)` key and the partial `unsettled_*`
 * indexes win on estimated rows, so the generic plans are the right ones. (Keep autovacuum on; after a bulk
 * load or a restore, run `ANALYZE payments`.)
 */
export class AcceptPaymentCachedPlans1763800000000 implements MigrationInterface {
  name = 'AcceptPaymentCachedPlans1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${SIGNATURE} RESET plan_cache_mode`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${SIGNATURE} SET plan_cache_mode = force_custom_plan`);
  }
}
