import { MigrationInterface, QueryRunner } from 'typeorm';
import { ACCEPT_PAYMENT_SQL } from '../libs/persistence/src/payments/accept-payment.sql';

/**
 * Re-installs `tollgate_accept_payment` from its one source file, `libs/persistence/src/payments/accept-payment.sql.ts`,
 * with the definition in force after 1763800000000 (the body of 1763780000000, cached plans). Nothing changes
 * in behaviour; from now on the rule is read and changed in that file (a change adds a migration like this one).
 */
export class AcceptPaymentSource1763830500000 implements MigrationInterface {
  name = 'AcceptPaymentSource1763830500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(ACCEPT_PAYMENT_SQL);
  }

  async down(): Promise<void> {
    // The text installed is the one 1763800000000 left in force; nothing to undo.
  }
}
