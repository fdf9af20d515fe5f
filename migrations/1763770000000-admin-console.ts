import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator console: admin users (argon2 hashes), their browser sessions, API tokens for automation, the
 * audit log of every admin action, and an operator's request to replace a stuck batch transaction now.
 */
export class AdminConsole1763770000000 implements MigrationInterface {
  name = 'AdminConsole1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_users (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        username text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL,
        disabled_at timestamptz,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_admin_users PRIMARY KEY (id),
        CONSTRAINT uq_admin_users_username UNIQUE (username),
        CONSTRAINT ck_admin_users_role CHECK (role IN ('viewer', 'operator')),
        CONSTRAINT ck_admin_users_username CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$')
      )`);
    // Only a SHA-256 of the session cookie is stored: a leaked table opens no session.
    await q.query(`
      CREATE TABLE admin_sessions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        token_hash text NOT NULL,
        csrf_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        CONSTRAINT pk_admin_sessions PRIMARY KEY (id),
        CONSTRAINT uq_admin_sessions_token_hash UNIQUE (token_hash),
        CONSTRAINT fk_admin_sessions_user_id FOREIGN KEY (user_id) REFERENCES admin_users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_admin_sessions_user_id ON admin_sessions (user_id)`);
    await q.query(`
      CREATE TABLE admin_api_tokens (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        prefix text NOT NULL,
        token_hash text NOT NULL,
        role text NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT pk_admin_api_tokens PRIMARY KEY (id),
        CONSTRAINT uq_admin_api_tokens_token_hash UNIQUE (token_hash),
        CONSTRAINT ck_admin_api_tokens_role CHECK (role IN ('viewer', 'operator')),
        CONSTRAINT fk_admin_api_tokens_created_by FOREIGN KEY (created_by) REFERENCES admin_users (id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX idx_admin_api_tokens_created_by ON admin_api_tokens (created_by)`);
    // Append-only: who (actor), what (action, target), when (at), and the state before and after.
    await q.query(`
      CREATE TABLE admin_audit_log (
        id bigserial NOT NULL,
        actor text NOT NULL,
        actor_user_id uuid,
        actor_token_id uuid,
        action text NOT NULL,
        target_type text,
        target_id text,
        before jsonb,
        after jsonb,
        detail jsonb,
        request_id text,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_admin_audit_log PRIMARY KEY (id),
        CONSTRAINT fk_admin_audit_log_actor_user_id FOREIGN KEY (actor_user_id) REFERENCES admin_users (id) ON DELETE SET NULL,
        CONSTRAINT fk_admin_audit_log_actor_token_id FOREIGN KEY (actor_token_id) REFERENCES admin_api_tokens (id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX idx_admin_audit_log_at ON admin_audit_log (at DESC)`);
    await q.query(`CREATE INDEX idx_admin_audit_log_target ON admin_audit_log (target_type, target_id, at DESC)`);
    await q.query(`CREATE INDEX idx_admin_audit_log_actor_user_id ON admin_audit_log (actor_user_id)`);
    await q.query(`CREATE INDEX idx_admin_audit_log_actor_token_id ON admin_audit_log (actor_token_id)`);
    // Set by an operator; the batch tracker replaces the transaction on its next pass and clears it.
    await q.query(`ALTER TABLE settlement_batches ADD COLUMN replace_requested_at timestamptz`);
    // Console lists: newest first overall, and by payer.
    await q.query(`CREATE INDEX idx_payments_created_at ON payments (created_at DESC)`);
    await q.query(`CREATE INDEX idx_payments_payer_created_at ON payments (payer, created_at DESC)`);
    // Batch detail: every payment ever claimed into a batch (rows that later left it keep this event).
    await q.query(`CREATE INDEX idx_payment_events_batch_id ON payment_events ((detail->>'batchId')) WHERE to_status = 'batched'`);
    // Console and /metrics totals: what settled in the last hour/day.
    await q.query(`CREATE INDEX idx_payments_included_at ON payments (included_at) WHERE included_at IS NOT NULL`);
    // Failures over time.
    await q.query(`CREATE INDEX idx_payment_events_failed_created_at ON payment_events (created_at) WHERE to_status IN ('failed', 'lapsed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_payment_events_failed_created_at`);
    await q.query(`DROP INDEX idx_payments_included_at`);
    await q.query(`DROP INDEX idx_payment_events_batch_id`);
    await q.query(`DROP INDEX idx_payments_payer_created_at`);
    await q.query(`DROP INDEX idx_payments_created_at`);
    await q.query(`ALTER TABLE settlement_batches DROP COLUMN replace_requested_at`);
    await q.query(`DROP TABLE admin_audit_log`);
    await q.query(`DROP TABLE admin_api_tokens`);
    await q.query(`DROP TABLE admin_sessions`);
    await q.query(`DROP TABLE admin_users`);
  }
}
