import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Solana payment's stored transaction follows the payment into history (issue #16, "History at volume").
 * Until now `svm_transactions` kept one row per Solana payment forever (≈ 1.3 KB with its wire bytes), in a
 * table nothing partitioned or archived, after the payment itself had moved to `payments_history` and been
 * archived with its day.
 *
 * - `svm_transactions_history` has the columns of `svm_transactions` in the same order (`LIKE`), partitioned by
 *   range on its own `created_at` (when the transaction was signed) like the other history tables: one partition
 *   per UTC day (`svm_transactions_history_pYYYYMMDD`, seven days ahead, kept ahead by the worker), a
 *   `_legacy` partition for everything before the migration day and a `_default` one for anything else.
 * - Its primary key is `(payment_id, created_at)` (the partition key must be in it), which also serves the one
 *   lookup (by payment). The hot table's unique `signature` index is not repeated: a transaction's signature
 *   is unique by construction (it is the signature over a blockhash-bound message), and the hot table already
 *   refused a duplicate when the row was stored.
 * - The worker's move of a payment to `payments_history` moves its transaction in the same statement
 *   (`PaymentsHistory.moveFinal`), so the pair is always on the same side. This migration moves the
 *   transactions of payments that already moved.
 * - `svm_transactions_all` = `svm_transactions` UNION ALL `svm_transactions_history`: what the console reads.
 *   The settlement paths read `svm_transactions` only (only an unfinished payment's transaction matters to them).
 * - `npm run archive` exports and drops its closed days after those of `payments_history`.
 */
export class SvmTransactionsHistory1764050000000 implements MigrationInterface {
  name = 'SvmTransactionsHistory1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE svm_transactions_history (
        LIKE svm_transactions INCLUDING DEFAULTS,
        CONSTRAINT pk_svm_transactions_history PRIMARY KEY (payment_id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await q.query(`
      DO $$
      DECLARE
        d0 timestamptz := date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      BEGIN
        EXECUTE format('CREATE TABLE svm_transactions_history_legacy PARTITION OF svm_transactions_history FOR VALUES FROM (MINVALUE) TO (%L::timestamptz)', d0);
        FOR i IN 0..7 LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF svm_transactions_history FOR VALUES FROM (%L::timestamptz) TO (%L::timestamptz)',
                         'svm_transactions_history_p' || to_char((d0 + i * interval '1 day') AT TIME ZONE 'UTC', 'YYYYMMDD'),
                         d0 + i * interval '1 day', d0 + (i + 1) * interval '1 day');
        END LOOP;
      END $$`);
    await q.query(`CREATE TABLE svm_transactions_history_default PARTITION OF svm_transactions_history DEFAULT`);
    await q.query(`
      WITH moved AS (
        DELETE FROM svm_transactions s WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = s.payment_id) RETURNING s.*)
      INSERT INTO svm_transactions_history SELECT * FROM moved`);
    await q.query(`CREATE VIEW svm_transactions_all AS SELECT * FROM svm_transactions UNION ALL SELECT * FROM svm_transactions_history`);
  }

  async down(q: QueryRunner): Promise<void> {
    // History moves back into the hot table (archived partitions are gone either way).
    await q.query(`DROP VIEW svm_transactions_all`);
    await q.query(`INSERT INTO svm_transactions SELECT * FROM svm_transactions_history`);
    await q.query(`DROP TABLE svm_transactions_history`);
  }
}
