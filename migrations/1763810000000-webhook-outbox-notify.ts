import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wakes the webhook worker's relay as soon as deliveries are committed: a statement-level trigger on
 * `webhook_deliveries` sends `NOTIFY tollgate_webhook_outbox` when a statement inserted at least one row
 * (Postgres delivers it at commit, once per transaction and channel). Before, a delivery written by the
 * settlement worker's transition waited for the relay's next pass (`WEBHOOK_SWEEP_INTERVAL_MS`, 1 s). The
 * periodic pass stays as the backstop for a missed notification.
 */
export class WebhookOutboxNotify1763810000000 implements MigrationInterface {
  name = 'WebhookOutboxNotify1763810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION tollgate_notify_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted) THEN
          PERFORM pg_notify('tollgate_webhook_outbox', '');
        END IF;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER trg_webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tollgate_notify_webhook_outbox()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_webhook_deliveries_notify ON webhook_deliveries`);
    await q.query(`DROP FUNCTION tollgate_notify_webhook_outbox()`);
  }
}
