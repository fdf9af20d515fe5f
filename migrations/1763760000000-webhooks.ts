import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant webhooks: endpoints (signing secrets encrypted at rest), the delivery outbox written by the
 * payment ledger in the same statement as each transition, one row per HTTP attempt; and the merchant's
 * maximum unsettled exposure.
 */
export class Webhooks1763760000000 implements MigrationInterface {
  name = 'Webhooks1763760000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE merchants ADD COLUMN max_unsettled_exposure numeric(78,0)`);
    await q.query(
      `ALTER TABLE merchants ADD CONSTRAINT ck_merchants_max_unsettled_exposure CHECK (max_unsettled_exposure IS NULL OR max_unsettled_exposure >= 0)`,
    );
    // Merchant exposure guard: the merchant's unsettled promises on one asset.
    await q.query(
      `CREATE INDEX idx_payments_unsettled_merchant ON payments (merchant_id, network, asset) WHERE status IN ('verified','queued','batched','submitted')`,
    );
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        merchant_id uuid NOT NULL,
        url text NOT NULL,
        description text,
        event_types text[] NOT NULL,
        status text NOT NULL DEFAULT 'active',
        secret_ciphertext text NOT NULL,
        previous_secret_ciphertext text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        last_success_at timestamptz,
        last_failure_at timestamptz,
        disabled_at timestamptz,
        disabled_reason text,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_endpoints PRIMARY KEY (id),
        CONSTRAINT fk_webhook_endpoints_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE,
        CONSTRAINT ck_webhook_endpoints_status CHECK (status IN ('active', 'disabled')),
        CONSTRAINT ck_webhook_endpoints_event_types CHECK (cardinality(event_types) > 0),
        CONSTRAINT ck_webhook_endpoints_url CHECK (url ~ '^https?://' AND char_length(url) <= 2048),
        CONSTRAINT ck_webhook_endpoints_previous_secret CHECK ((previous_secret_ciphertext IS NULL) = (previous_secret_expires_at IS NULL))
      )`);
    await q.query(`CREATE INDEX idx_webhook_endpoints_merchant_id ON webhook_endpoints (merchant_id)`);
    // Ledger fan-out: the live endpoints of one merchant, joined by every emitting transition.
    await q.query(`CREATE INDEX idx_webhook_endpoints_live ON webhook_endpoints (merchant_id) WHERE status = 'active' AND deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        merchant_id uuid NOT NULL,
        event_type text NOT NULL,
        message_id text NOT NULL,
        payment_id uuid,
        payment_event_id bigint,
        occurred_at timestamptz NOT NULL,
        snapshot jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempt_count integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        job_enqueued_at timestamptz,
        locked_until timestamptz,
        last_status_code integer,
        last_error text,
        replay_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
        CONSTRAINT fk_webhook_deliveries_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        CONSTRAINT fk_webhook_deliveries_merchant_id FOREIGN KEY (merchant_id) REFERENCES merchants (id) ON DELETE CASCADE,
        CONSTRAINT fk_webhook_deliveries_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE CASCADE,
        CONSTRAINT fk_webhook_deliveries_payment_event_id FOREIGN KEY (payment_event_id) REFERENCES payment_events (id) ON DELETE CASCADE,
        CONSTRAINT fk_webhook_deliveries_replay_of FOREIGN KEY (replay_of) REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
        CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed')),
        CONSTRAINT ck_webhook_deliveries_attempt_count CHECK (attempt_count >= 0)
      )`);
    // One delivery per (state change × endpoint), replays aside: the database backs up the ledger's guarantee.
    await q.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_payment_event_endpoint ON webhook_deliveries (payment_event_id, endpoint_id) WHERE payment_event_id IS NOT NULL AND replay_of IS NULL`,
    );
    // Listing per endpoint and range replay.
    await q.query(`CREATE INDEX idx_webhook_deliveries_endpoint_id_occurred_at ON webhook_deliveries (endpoint_id, occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_merchant_id ON webhook_deliveries (merchant_id)`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_payment_id ON webhook_deliveries (payment_id) WHERE payment_id IS NOT NULL`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_replay_of ON webhook_deliveries (replay_of) WHERE replay_of IS NOT NULL`);
    // Outbox relay: pending rows no job was made for yet.
    await q.query(`CREATE INDEX idx_webhook_deliveries_unenqueued ON webhook_deliveries (created_at) WHERE status = 'pending' AND job_enqueued_at IS NULL`);
    // Lost-job sweep and endpoint-wide cancellation: everything still pending, by due time.
    await q.query(`CREATE INDEX idx_webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_pending_endpoint ON webhook_deliveries (endpoint_id) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE webhook_attempts (
        id bigserial NOT NULL,
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        status_code integer,
        latency_ms integer NOT NULL,
        response_body text,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_attempts PRIMARY KEY (id),
        CONSTRAINT uq_webhook_attempts_delivery_id_attempt UNIQUE (delivery_id, attempt),
        CONSTRAINT fk_webhook_attempts_delivery_id FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        CONSTRAINT ck_webhook_attempts_attempt CHECK (attempt >= 1),
        CONSTRAINT ck_webhook_attempts_latency_ms CHECK (latency_ms >= 0),
        CONSTRAINT ck_webhook_attempts_response_body CHECK (char_length(response_body) <= 1024)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
    await q.query(`DROP INDEX idx_payments_unsettled_merchant`);
    await q.query(`ALTER TABLE merchants DROP CONSTRAINT ck_merchants_max_unsettled_exposure`);
    await q.query(`ALTER TABLE merchants DROP COLUMN max_unsettled_exposure`);
  }
}
