import { MigrationInterface, QueryRunner } from 'typeorm';
import { HOT_PATH_PLAN_RESET_SQL, HOT_PATH_PLAN_SQL } from '../libs/persistence/src/payments/hot-path-plans.sql';

/**
 * The accept functions and the `payments` / `payment_events` triggers run with `enable_seqscan = off`, so the
 * generic plans plpgsql caches per connection are index plans even when they were made while a table was
 * small (libs/persistence/src/payments/hot-path-plans.sql.ts says why and what it measured).
 */
export class HotPathIndexPlans1763970000000 implements MigrationInterface {
  name = 'HotPathIndexPlans1763970000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of HOT_PATH_PLAN_SQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of HOT_PATH_PLAN_RESET_SQL) await q.query(sql);
  }
}
