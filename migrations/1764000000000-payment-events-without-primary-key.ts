import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `payment_events` loses its primary key `(id, created_at)` (issue #16, write amplification): six index entries
 * per payment (one per event) that no statement reads.
 *
 * - Nothing looks an event up by id: a payment's history is read through `idx_payment_events_payment_id`
 *   `(payment_id, id)`, a batch's through `idx_payment_events_batch_id`, and webhook deliveries keep the event
 *   id as a plain reference (migration 1763930000000 dropped that foreign key).
 * - Ids stay unique without it: the only writer is the ledger's transition statement, which draws every id from
 *   `payment_events_id_seq` (second-edge.sql.ts); events are never updated or deleted (a day is archived and
 *   dropped whole).
 * - The key could not guard much anyway: on a partitioned table it had to include `created_at`, so it never
 *   stopped one id in two partitions.
 * - `npm run archive` exports a day in its stored order instead of by id (a sort of a whole day, ≈ 259 M rows at
 *   30,000 payments/min, would spill to disk); each line still carries its id.
 */
export class PaymentEventsWithoutPrimaryKey1764000000000 implements MigrationInterface {
  name = 'PaymentEventsWithoutPrimaryKey1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_events DROP CONSTRAINT pk_payment_events`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_events ADD CONSTRAINT pk_payment_events PRIMARY KEY (id, created_at)`);
  }
}
