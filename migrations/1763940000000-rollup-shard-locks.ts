import { MigrationInterface, QueryRunner } from 'typeorm';

/** The rollup trigger's body before this migration (1763870000000): shard = backend pid mod 8. */
const ROLLUP_BY_PID = `
      DECLARE
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN
        INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
        SELECT date_trunc('minute', e.created_at), e.to_status,
               CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*),
               coalesce(sum(p.amount), 0)
          FROM new_events e LEFT JOIN payments p ON e.to_status = 'included' AND p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n, included_amount = a.included_amount + excluded.included_amount;
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*)
          FROM new_events e JOIN payments p ON p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END`;

/** First key of the two-int advisory locks claiming a rollup shard (second key: the shard). */
const ROLLUP_SHARD_LOCK_SPACE = 1919708276;

/**
 * The console rollups (`payment_activity`, `payment_status_totals`, kept by the trigger on `payment_events`)
 * no longer make writers wait on each other. The trigger picked its shard as the backend pid mod 8, so two
 * open transactions whose backends shared a shard waited on each other's rollup row until commit — while one
 * of them could hold a payer's advisory lock (the accept rule): with two API processes that deadlocked
 * (found by the horizontal-scale test; accepts re-ran the victim as a stopgap). Now a transaction claims a
 * shard with a transaction-scoped advisory lock that no other open transaction holds (the pid's shard first,
 * then the others, then new shards past 7), so no two open transactions ever write the same rollup row.
 * Readers sum over shards, as before; the number of shards stays bounded by the number of transactions
 * writing events at one instant.
 */
export class RollupShardLocks1763940000000 implements MigrationInterface {
  name = 'RollupShardLocks1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION payment_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_try int := 0;
        v_shard smallint := pg_backend_pid() % 8;
      BEGIN
        -- Re-entrant: a transaction that claimed this shard in an earlier statement gets it again at once.
        WHILE NOT pg_try_advisory_xact_lock(${ROLLUP_SHARD_LOCK_SPACE}, v_shard) LOOP
          v_try := v_try + 1;
          v_shard := CASE WHEN v_try < 8 THEN (pg_backend_pid() + v_try) % 8 ELSE v_try END;
        END LOOP;
        INSERT INTO payment_activity AS a (bucket, to_status, reason, shard, n, included_amount)
        SELECT date_trunc('minute', e.created_at), e.to_status,
               CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*),
               coalesce(sum(p.amount), 0)
          FROM new_events e LEFT JOIN payments p ON e.to_status = 'included' AND p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = a.n + excluded.n, included_amount = a.included_amount + excluded.included_amount;
        INSERT INTO payment_status_totals AS t (merchant_id, to_status, reason, shard, n)
        SELECT p.merchant_id, e.to_status, CASE WHEN e.to_status IN ('failed', 'lapsed') THEN coalesce(e.reason, '') ELSE '' END, v_shard, count(*)
          FROM new_events e JOIN payments p ON p.id = e.payment_id
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (merchant_id, to_status, reason, shard) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION payment_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$${ROLLUP_BY_PID} $$`);
  }
}
