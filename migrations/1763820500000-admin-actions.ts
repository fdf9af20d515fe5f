import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator actions that touch the settlement pipeline (retry, void, replace) are requested by the API and
 * carried out by the worker, the only process holding relayer keys. `admin_actions` is the request and
 * its outcome: the API inserts it (with its `<action>.requested` audit row) and enqueues a job naming the
 * row; the worker applies the action, writes the action's audit row and the outcome in one transaction.
 * The operator follows the row by id (`GET /admin/api/actions/:id`).
 */
export class AdminActions1763820500000 implements MigrationInterface {
  name = 'AdminActions1763820500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_actions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text NOT NULL,
        params jsonb NOT NULL DEFAULT '{}'::jsonb,
        actor text NOT NULL,
        actor_user_id uuid,
        actor_token_id uuid,
        request_id text,
        status text NOT NULL DEFAULT 'requested',
        message text,
        before jsonb,
        after jsonb,
        requested_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT pk_admin_actions PRIMARY KEY (id),
        CONSTRAINT ck_admin_actions_action CHECK (action IN ('payment.retry', 'payment.void', 'batch.replace')),
        CONSTRAINT ck_admin_actions_status CHECK (status IN ('requested', 'succeeded', 'refused', 'not_found', 'expired', 'failed')),
        CONSTRAINT ck_admin_actions_finished CHECK ((status = 'requested') = (finished_at IS NULL)),
        CONSTRAINT fk_admin_actions_actor_user_id FOREIGN KEY (actor_user_id) REFERENCES admin_users (id) ON DELETE SET NULL,
        CONSTRAINT fk_admin_actions_actor_token_id FOREIGN KEY (actor_token_id) REFERENCES admin_api_tokens (id) ON DELETE SET NULL
      )`);
    // The worker's sweep: requests still waiting for it (a job lost with Redis is enqueued again).
    await q.query(`CREATE INDEX idx_admin_actions_requested ON admin_actions (requested_at) WHERE status = 'requested'`);
    await q.query(`CREATE INDEX idx_admin_actions_target ON admin_actions (target_type, target_id, requested_at DESC)`);
    await q.query(`CREATE INDEX idx_admin_actions_actor_user_id ON admin_actions (actor_user_id)`);
    await q.query(`CREATE INDEX idx_admin_actions_actor_token_id ON admin_actions (actor_token_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_actions`);
  }
}
