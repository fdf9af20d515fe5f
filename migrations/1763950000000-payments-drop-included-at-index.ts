import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops `idx_payments_included_at` (issue #16, write amplification). It was made for the console's and
 * `/metrics`' "settled in the last hour/day" totals, which read the `payment_activity` rollup since the
 * console-volume migration (1763870000000); no query filters or orders `payments` by `included_at` any more.
 * Every `included` and `confirmed` version of a payment added an entry to it: two index entries per settled
 * payment that nothing read.
 */
export class PaymentsDropIncludedAtIndex1763950000000 implements MigrationInterface {
  name = 'PaymentsDropIncludedAtIndex1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_payments_included_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_payments_included_at ON payments (included_at) WHERE included_at IS NOT NULL`);
  }
}
