import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `payment_events` becomes a table partitioned by range on `created_at` (native partitioning), so history can
 * be archived a day at a time (`npm run archive`) instead of growing without end (at 30,000 payments/min,
 * ≈ 259 M event rows a day).
 *
 * - The existing table is kept, not copied: it is renamed `payment_events_legacy` and attached as the
 *   partition for everything before the migration's instant T0 (a CHECK constraint proves the range, so the
 *   attach does not scan it again). Its rows keep their ids; the id sequence now belongs to the new parent.
 * - From T0 to the next UTC midnight one partition, then one per UTC day, `payment_events_pYYYYMMDD`, seven
 *   days ahead; the worker's maintenance loop keeps creating them ahead (Postgres creates none by itself).
 * - `payment_events_default` catches a row no partition covers, so an insert never fails; the maintenance
 *   loop moves such rows into their day's partition when it creates it.
 * - The primary key becomes (id, created_at): a unique index on a partitioned table must hold the partition
 *   key. Ids still come from one sequence, so id alone stays unique in practice.
 * - The foreign key from `webhook_deliveries.payment_event_id` is dropped: it could only point at a unique
 *   id, which a partitioned table cannot have, and it would stop a partition from ever being dropped. The
 *   delivery keeps the event id as a plain reference (its own unique index still allows one delivery per
 *   event and endpoint).
 * - The foreign key `payment_events.payment_id → payments` is dropped too: on a partitioned table every
 *   partition created, detached or dropped would add or remove its triggers on `payments`, locking the
 *   hottest table (SHARE ROW EXCLUSIVE) against every accept and transition while it waits. Payments are never
 *   deleted, and every event is written by the statement that moves its payment (or creates it), so the key
 *   guarded nothing the writers do not.
 * - The console rollup trigger (1763870000000) moves to the new parent. A statement trigger with transition
 *   tables is allowed on a partitioned table (only row triggers with transition tables are not, on
 *   partitions); its transition table holds the rows routed to every partition by the statement.
 *
 * Cost on a large existing table: one scan to validate the CHECK and one unique index build on
 * (id, created_at), both under this migration's lock (writes to payment_events wait). To move the index
 * build out of the lock, create it beforehand with
 * `CREATE UNIQUE INDEX CONCURRENTLY payment_events_legacy_id_created_at ON payment_events (id, created_at)`;
 * the migration then reuses it.
 */
export class HistoryPartitions1763930000000 implements MigrationInterface {
  name = 'HistoryPartitions1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`LOCK TABLE payment_events IN ACCESS EXCLUSIVE MODE`);
    await q.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT fk_webhook_deliveries_payment_event_id`);
    await q.query(`DROP TRIGGER trg_payment_events_rollup ON payment_events`);
    await q.query(`ALTER TABLE payment_events RENAME TO payment_events_legacy`);
    await q.query(`ALTER TABLE payment_events_legacy DROP CONSTRAINT fk_payment_events_payment_id`);
    await q.query(`ALTER INDEX idx_payment_events_payment_id RENAME TO idx_payment_events_legacy_payment_id`);
    await q.query(`ALTER INDEX idx_payment_events_batch_id RENAME TO idx_payment_events_legacy_batch_id`);
    await q.query(`ALTER INDEX idx_payment_events_failed_created_at RENAME TO idx_payment_events_legacy_failed_created_at`);
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS payment_events_legacy_id_created_at ON payment_events_legacy (id, created_at)`);
    await q.query(`ALTER TABLE payment_events_legacy DROP CONSTRAINT pk_payment_events`);
    await q.query(`ALTER TABLE payment_events_legacy ADD CONSTRAINT pk_payment_events_legacy PRIMARY KEY USING INDEX payment_events_legacy_id_created_at`);
    await q.query(`ALTER TABLE payment_events_legacy ALTER COLUMN id DROP DEFAULT`);
    await q.query(`
      CREATE TABLE payment_events (
        id bigint NOT NULL DEFAULT nextval('payment_events_id_seq'),
        payment_id uuid NOT NULL,
        from_status text,
        to_status text NOT NULL,
        reason text,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_payment_events PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await q.query(`ALTER SEQUENCE payment_events_id_seq OWNED BY payment_events.id`);
    await q.query(`CREATE INDEX idx_payment_events_payment_id ON payment_events (payment_id, id)`);
    await q.query(`CREATE INDEX idx_payment_events_batch_id ON payment_events ((detail->>'batchId')) WHERE to_status = 'batched'`);
    await q.query(`CREATE INDEX idx_payment_events_failed_created_at ON payment_events (created_at) WHERE to_status IN ('failed', 'lapsed')`);
    // T0 is read after the lock: every committed row was written before it.
    await q.query(`
      DO $$
      DECLARE
        t0 timestamptz := clock_timestamp();
        d0 timestamptz := date_trunc('day', t0 AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      BEGIN
        EXECUTE format('ALTER TABLE payment_events_legacy ADD CONSTRAINT ck_payment_events_legacy_range CHECK (created_at < %L::timestamptz)', t0);
        EXECUTE format('ALTER TABLE payment_events ATTACH PARTITION payment_events_legacy FOR VALUES FROM (MINVALUE) TO (%L::timestamptz)', t0);
        EXECUTE format('CREATE TABLE %I PARTITION OF payment_events FOR VALUES FROM (%L::timestamptz) TO (%L::timestamptz)',
                       'payment_events_p' || to_char(d0 AT TIME ZONE 'UTC', 'YYYYMMDD'), t0, d0 + interval '1 day');
        FOR i IN 1..7 LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF payment_events FOR VALUES FROM (%L::timestamptz) TO (%L::timestamptz)',
                         'payment_events_p' || to_char((d0 + i * interval '1 day') AT TIME ZONE 'UTC', 'YYYYMMDD'),
                         d0 + i * interval '1 day', d0 + (i + 1) * interval '1 day');
        END LOOP;
      END $$`);
    await q.query(`CREATE TABLE payment_events_default PARTITION OF payment_events DEFAULT`);
    await q.query(`
      CREATE TRIGGER trg_payment_events_rollup AFTER INSERT ON payment_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION payment_events_rollup()`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to one plain table holding every row still attached (archived partitions are gone either way).
    await q.query(`LOCK TABLE payment_events IN ACCESS EXCLUSIVE MODE`);
    await q.query(`CREATE TABLE payment_events_flat (LIKE payment_events INCLUDING DEFAULTS)`);
    await q.query(`INSERT INTO payment_events_flat SELECT * FROM payment_events`);
    await q.query(`ALTER SEQUENCE payment_events_id_seq OWNED BY payment_events_flat.id`);
    await q.query(`DROP TABLE payment_events`);
    await q.query(`ALTER TABLE payment_events_flat RENAME TO payment_events`);
    await q.query(`ALTER TABLE payment_events ADD CONSTRAINT pk_payment_events PRIMARY KEY (id)`);
    await q.query(`ALTER TABLE payment_events ADD CONSTRAINT fk_payment_events_payment_id FOREIGN KEY (payment_id) REFERENCES payments (id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX idx_payment_events_payment_id ON payment_events (payment_id, id)`);
    await q.query(`CREATE INDEX idx_payment_events_batch_id ON payment_events ((detail->>'batchId')) WHERE to_status = 'batched'`);
    await q.query(`CREATE INDEX idx_payment_events_failed_created_at ON payment_events (created_at) WHERE to_status IN ('failed', 'lapsed')`);
    await q.query(`
      CREATE TRIGGER trg_payment_events_rollup AFTER INSERT ON payment_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION payment_events_rollup()`);
    await q.query(`UPDATE webhook_deliveries d SET payment_event_id = NULL WHERE payment_event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payment_events e WHERE e.id = d.payment_event_id)`);
    await q.query(`ALTER TABLE webhook_deliveries ADD CONSTRAINT fk_webhook_deliveries_payment_event_id FOREIGN KEY (payment_event_id) REFERENCES payment_events (id) ON DELETE CASCADE`);
  }
}
