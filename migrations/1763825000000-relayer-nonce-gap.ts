import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the worker's NonceGapHealer last saw of each relayer: the chain's mined nonce, the gap between it
 * and the relayer's lowest live (stored, pending) nonce, and since when that gap has existed. The API reads
 * the columns for readiness and the operator console without holding relayer keys. A partial index serves
 * the "lowest pending nonce per relayer" scan both sides run.
 */
export class RelayerNonceGap1763825000000 implements MigrationInterface {
  name = 'RelayerNonceGap1763825000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE relayers
        ADD COLUMN chain_nonce bigint,
        ADD COLUMN nonce_gap integer NOT NULL DEFAULT 0,
        ADD COLUMN nonce_gap_since timestamptz,
        ADD COLUMN nonce_checked_at timestamptz,
        ADD CONSTRAINT ck_relayers_nonce_gap CHECK (nonce_gap >= 0)`);
    await q.query(
      `CREATE INDEX idx_relayer_transactions_pending_nonce ON relayer_transactions (network, relayer, nonce) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_relayer_transactions_pending_nonce`);
    await q.query(`
      ALTER TABLE relayers
        DROP CONSTRAINT ck_relayers_nonce_gap,
        DROP COLUMN nonce_checked_at,
        DROP COLUMN nonce_gap_since,
        DROP COLUMN nonce_gap,
        DROP COLUMN chain_nonce`);
  }
}
