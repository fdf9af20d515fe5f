import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENTS_SIGNATURE, ACCEPT_PAYMENTS_SQL } from '../libs/persistence/src/payments/accept-payment.sql';

/**
 * `tollgate_accept_payments`: the accept rule for the calls of one event-loop turn in one function call, which
 * writes their payments and events with one INSERT each, so the statement-level triggers on `payments` and
 * `payment_events` fire once per batch instead of once per payment (libs/persistence/src/payments/accept-payment.sql.ts).
 * The single-call `tollgate_accept_payment` stays as it is (single calls and merchants with a maximum exposure).
 */
export class AcceptPaymentsBatch1763961000000 implements MigrationInterface {
  name = 'AcceptPaymentsBatch1763961000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(ACCEPT_PAYMENTS_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    // An API still running the batch statement then fails over to one statement per call (payment-accept.ts).
    await q.query(`DROP FUNCTION IF EXISTS ${ACCEPT_PAYMENTS_SIGNATURE}`);
  }
}
