import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Solana settlement (issue #15): the fully signed transaction of each Solana payment, stored before it is
 * first broadcast. A payer signs a whole transaction (blockhash and fee payer included), so the worker can
 * only add the fee payer's signature once and must re-broadcast exactly these bytes after a crash: one row
 * per payment (primary key), and its signature — the transaction's id on chain — is unique.
 */
export class SvmTransactions1763850000000 implements MigrationInterface {
  name = 'SvmTransactions1763850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE svm_transactions (
        payment_id uuid PRIMARY KEY REFERENCES payments(id),
        network text NOT NULL,
        fee_payer text NOT NULL,
        signature text NOT NULL UNIQUE,
        blockhash text NOT NULL,
        wire_transaction text NOT NULL,
        broadcasts integer NOT NULL DEFAULT 0,
        last_broadcast_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_svm_transactions_fee_payer ON svm_transactions (network, fee_payer)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE svm_transactions`);
  }
}
