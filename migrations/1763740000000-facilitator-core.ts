import { MigrationInterface, QueryRunner } from 'typeorm';

/** Merchants, their keys and payTo addresses, payments with their event history, settle idempotency. */
export class FacilitatorCore1763740000000 implements MigrationInterface {
  name = 'FacilitatorCore1763740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchants (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        settlement_mode text NOT NULL DEFAULT 'deferred',
        confirmed_threshold numeric(78,0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_merchants PRIMARY KEY (id),
        CONSTRAINT ck_merchants_status CHECK (status IN ('active', 'suspended')),
        CONSTRAINT ck_merchants_settlement_mode CHECK (settlement_mode IN ('deferred', 'confirmed')),
        CONSTRAINT ck_merchants_confirmed_threshold CHECK (confirmed_threshold IS NULL OR confirmed_threshold >= 0)
      )`);
    await q.query(`
      CREATE TABLE merchant_api_keys (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        merchant_id uuid NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT pk_merchant_api_keys PRIMARY KEY (id),
        CONSTRAINT uq_merchant_api_keys_key_hash UNIQUE (key_hash),
        CONSTRAINT fk_merchant_api_keys_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_merchant_api_keys_merchant_id ON merchant_api_keys (merchant_id)`);
    await q.query(`
      CREATE TABLE merchant_pay_to (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        merchant_id uuid NOT NULL,
        address text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_merchant_pay_to PRIMARY KEY (id),
        CONSTRAINT uq_merchant_pay_to_address UNIQUE (address),
        CONSTRAINT ck_merchant_pay_to_address CHECK (address ~ '^0x[0-9a-f]{40}$'),
        CONSTRAINT fk_merchant_pay_to_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_merchant_pay_to_merchant_id ON merchant_pay_to (merchant_id)`);
    await q.query(`
      CREATE TABLE payments (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        reference text NOT NULL,
        merchant_id uuid NOT NULL,
        x402_version smallint NOT NULL,
        scheme text NOT NULL,
        network text NOT NULL,
        asset text NOT NULL,
        payer text NOT NULL,
        pay_to text NOT NULL,
        amount numeric(78,0) NOT NULL,
        valid_after numeric(78,0) NOT NULL,
        valid_before numeric(78,0) NOT NULL,
        expires_at timestamptz NOT NULL,
        nonce text NOT NULL,
        signature text NOT NULL,
        status text NOT NULL,
        settlement_mode text,
        failure_reason text,
        failure_message text,
        payment_identifier text,
        batch_id uuid,
        tx_hash text,
        log_index integer,
        block_number bigint,
        block_hash text,
        attempts integer NOT NULL DEFAULT 0,
        requirements jsonb NOT NULL,
        queued_at timestamptz,
        included_at timestamptz,
        confirmed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_payments PRIMARY KEY (id),
        CONSTRAINT uq_payments_reference UNIQUE (reference),
        CONSTRAINT uq_payments_authorization UNIQUE (network, asset, payer, nonce),
        CONSTRAINT fk_payments_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id),
        CONSTRAINT ck_payments_status CHECK (status IN ('verified','queued','batched','submitted','included','confirmed','lapsed','failed')),
        CONSTRAINT ck_payments_amount CHECK (amount >= 0),
        CONSTRAINT ck_payments_settlement_mode CHECK (settlement_mode IS NULL OR settlement_mode IN ('deferred', 'confirmed')),
        CONSTRAINT ck_payments_addresses CHECK (asset ~ '^0x[0-9a-f]{40}$' AND payer ~ '^0x[0-9a-f]{40}$' AND pay_to ~ '^0x[0-9a-f]{40}$'),
        CONSTRAINT ck_payments_nonce CHECK (nonce ~ '^0x[0-9a-f]{64}$')
      )`);
    await q.query(`CREATE INDEX idx_payments_merchant_id_created_at ON payments (merchant_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_batch_id ON payments (batch_id) WHERE batch_id IS NOT NULL`);
    // Queue scan: earliest deadline first within one lane.
    await q.query(`CREATE INDEX idx_payments_queue ON payments (network, asset, expires_at) WHERE status = 'queued'`);
    // Exposure guard: the payer's unsettled promises on one asset.
    await q.query(
      `CREATE INDEX idx_payments_unsettled_payer ON payments (network, asset, payer) WHERE status IN ('verified','queued','batched','submitted')`,
    );
    // Sweeper and confirmation tracker: everything not final.
    await q.query(
      `CREATE INDEX idx_payments_open_status ON payments (status, updated_at) WHERE status NOT IN ('confirmed','lapsed','failed')`,
    );
    await q.query(`CREATE INDEX idx_payments_status_failure_reason ON payments (failure_reason) WHERE status = 'failed'`);
    await q.query(`
      CREATE TABLE payment_events (
        id bigserial NOT NULL,
        payment_id uuid NOT NULL,
        from_status text,
        to_status text NOT NULL,
        reason text,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_payment_events PRIMARY KEY (id),
        CONSTRAINT fk_payment_events_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_payment_events_payment_id ON payment_events (payment_id, id)`);
    await q.query(`
      CREATE TABLE settle_requests (
        merchant_id uuid NOT NULL,
        payment_identifier text NOT NULL,
        request_hash text NOT NULL,
        payment_id uuid,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_settle_requests PRIMARY KEY (merchant_id, payment_identifier),
        CONSTRAINT fk_settle_requests_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE,
        CONSTRAINT fk_settle_requests_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX idx_settle_requests_payment_id ON settle_requests (payment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settle_requests`);
    await q.query(`DROP TABLE payment_events`);
    await q.query(`DROP TABLE payments`);
    await q.query(`DROP TABLE merchant_pay_to`);
    await q.query(`DROP TABLE merchant_api_keys`);
    await q.query(`DROP TABLE merchants`);
  }
}
