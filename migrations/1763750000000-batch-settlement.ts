import { MigrationInterface, QueryRunner } from 'typeorm';

/** Relayers and their nonces, settlement batches, every broadcast transaction, lane controls. */
export class BatchSettlement1763750000000 implements MigrationInterface {
  name = 'BatchSettlement1763750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relayers (
        network text NOT NULL,
        address text NOT NULL,
        next_nonce bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_relayers PRIMARY KEY (network, address),
        CONSTRAINT ck_relayers_next_nonce CHECK (next_nonce >= 0)
      )`);
    await q.query(`
      CREATE TABLE lanes (
        network text NOT NULL,
        asset text NOT NULL,
        paused boolean NOT NULL DEFAULT false,
        paused_reason text,
        flush_requested_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_lanes PRIMARY KEY (network, asset)
      )`);
    await q.query(`
      CREATE TABLE settlement_batches (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        network text NOT NULL,
        asset text NOT NULL,
        relayer text NOT NULL,
        status text NOT NULL,
        kind text,
        payment_count integer NOT NULL,
        nonce bigint,
        gas_limit numeric(78,0),
        gas_used numeric(78,0),
        effective_gas_price numeric(78,0),
        fee_paid numeric(78,0),
        tx_hash text,
        block_number bigint,
        block_hash text,
        replacements integer NOT NULL DEFAULT 0,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        included_at timestamptz,
        confirmed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_settlement_batches PRIMARY KEY (id),
        CONSTRAINT ck_settlement_batches_status CHECK (status IN ('building','submitted','included','confirmed','failed','cancelled')),
        CONSTRAINT ck_settlement_batches_kind CHECK (kind IS NULL OR kind IN ('direct','multicall')),
        CONSTRAINT fk_settlement_batches_relayer FOREIGN KEY (network, relayer) REFERENCES relayers (network, address)
      )`);
    await q.query(`CREATE INDEX idx_settlement_batches_network_relayer ON settlement_batches (network, relayer)`);
    await q.query(
      `CREATE INDEX idx_settlement_batches_open ON settlement_batches (status, updated_at) WHERE status IN ('building','submitted','included')`,
    );
    await q.query(`CREATE INDEX idx_settlement_batches_created_at ON settlement_batches (created_at DESC)`);
    await q.query(`
      CREATE TABLE relayer_transactions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        batch_id uuid,
        network text NOT NULL,
        relayer text NOT NULL,
        nonce bigint NOT NULL,
        purpose text NOT NULL,
        tx_hash text NOT NULL,
        raw_tx text NOT NULL,
        gas_limit numeric(78,0) NOT NULL,
        max_fee_per_gas numeric(78,0) NOT NULL,
        max_priority_fee_per_gas numeric(78,0) NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        created_at timestamptz NOT NULL DEFAULT now(),
        broadcast_at timestamptz,
        CONSTRAINT pk_relayer_transactions PRIMARY KEY (id),
        CONSTRAINT uq_relayer_transactions_tx_hash UNIQUE (tx_hash),
        CONSTRAINT ck_relayer_transactions_purpose CHECK (purpose IN ('settle','cancel','filler')),
        CONSTRAINT ck_relayer_transactions_status CHECK (status IN ('pending','included','replaced','dropped')),
        CONSTRAINT fk_relayer_transactions_batch_id FOREIGN KEY (batch_id) REFERENCES settlement_batches (id),
        CONSTRAINT fk_relayer_transactions_relayer FOREIGN KEY (network, relayer) REFERENCES relayers (network, address)
      )`);
    await q.query(`CREATE INDEX idx_relayer_transactions_batch_id ON relayer_transactions (batch_id, created_at) WHERE batch_id IS NOT NULL`);
    await q.query(`CREATE INDEX idx_relayer_transactions_network_relayer_nonce ON relayer_transactions (network, relayer, nonce)`);
    await q.query(
      `ALTER TABLE payments ADD CONSTRAINT fk_payments_batch_id FOREIGN KEY (batch_id) REFERENCES settlement_batches (id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments DROP CONSTRAINT fk_payments_batch_id`);
    await q.query(`DROP TABLE relayer_transactions`);
    await q.query(`DROP TABLE settlement_batches`);
    await q.query(`DROP TABLE lanes`);
    await q.query(`DROP TABLE relayers`);
  }
}
