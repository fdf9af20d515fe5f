import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  PAYMENT_EVENTS_FUNCTION_BEFORE_QUEUE_STEP_SQL,
  PAYMENT_EVENTS_FUNCTION_SQL,
  PAYMENTS_CREATED_ROLLUP_SQL,
  PAYMENTS_QUEUED_ROLLUP_SQL,
  PAYMENTS_QUEUED_ROLLUP_TRIGGER_SQL,
  QUEUED_STEP_EVENT_ID,
} from '../libs/persistence/src/payments/payment-events.sql';

/**
 * The queue step (`verified → queued`, every `/settle`) is recorded by the payment row it updates (`queued_at`) and
 * writes no `payment_events` row any more (issue #16, write amplification: one INSERT, one row version and one index
 * entry less per payment; libs/persistence/src/payments/payment-events.sql.ts says how readers see it).
 *
 * - `tollgate_payment_events` shows the step at `queued_at` with id -1, and the acceptance with id -2 (was 0), so both
 *   sort before every event row; payments queued before keep their own row, which is shown instead.
 * - `trg_payments_queued_rollup` counts the step for the console rollups, from the updated payment rows;
 *   `payments_created_rollup()` is re-installed from the same builder (same counts, one statement).
 * - The step's `payment.queued` webhook deliveries point at id -1.
 *
 * Down writes the steps the function shows back as rows (at the same time, with fresh ids: by id they come after the
 * payment's other rows, by time where they were) and points those deliveries at them.
 */
export class QueueStepOnPaymentRow1764040000000 implements MigrationInterface {
  name = 'QueueStepOnPaymentRow1764040000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(PAYMENT_EVENTS_FUNCTION_SQL);
    await q.query(PAYMENTS_QUEUED_ROLLUP_SQL);
    await q.query(PAYMENTS_QUEUED_ROLLUP_TRIGGER_SQL);
    await q.query(`ALTER FUNCTION payments_queued_rollup() SET enable_seqscan = off`);
    // The acceptance rollup shares the queue step's builder now (same counts); re-installing it drops its setting.
    await q.query(PAYMENTS_CREATED_ROLLUP_SQL);
    await q.query(`ALTER FUNCTION payments_created_rollup() SET enable_seqscan = off`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_payments_queued_rollup ON payments`);
    await q.query(`DROP FUNCTION payments_queued_rollup()`);
    // The rollups counted these steps already: the events trigger stays out of it.
    await q.query(`ALTER TABLE payment_events DISABLE TRIGGER trg_payment_events_rollup`);
    await q.query(
      `WITH written AS (
         INSERT INTO payment_events (payment_id, from_status, to_status, created_at)
         SELECT e.payment_id, e.from_status, e.to_status, e.created_at
           FROM payments_all p CROSS JOIN LATERAL tollgate_payment_events(p.id) e
          WHERE p.queued_at IS NOT NULL AND e.id = $1
         RETURNING id, payment_id
       )
       UPDATE webhook_deliveries d SET payment_event_id = w.id FROM written w WHERE d.payment_id = w.payment_id AND d.payment_event_id = $1`,
      [QUEUED_STEP_EVENT_ID],
    );
    await q.query(`ALTER TABLE payment_events ENABLE TRIGGER trg_payment_events_rollup`);
    await q.query(PAYMENT_EVENTS_FUNCTION_BEFORE_QUEUE_STEP_SQL);
  }
}
