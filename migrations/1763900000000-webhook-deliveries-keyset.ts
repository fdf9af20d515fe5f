import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's webhook deliveries list pages by keyset, newest first: `(created_at, id) < (cursor)`
 * ordered by `created_at DESC, id DESC`. This index serves that order for every page (the existing
 * per-endpoint index orders by `occurred_at` and only helps with an endpoint filter), so going 100 rows
 * deeper costs the same as the first page.
 */
export class WebhookDeliveriesKeyset1763900000000 implements MigrationInterface {
  name = 'WebhookDeliveriesKeyset1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_webhook_deliveries_created_at_id ON webhook_deliveries (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_webhook_deliveries_created_at_id`);
  }
}
