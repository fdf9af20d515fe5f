import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Worker heartbeats: each worker process upserts its row every few seconds (`last_seen_at`), so the API
 * (console banner, `/health/settlement`, `tollgate_worker_last_seen_seconds`) can tell a stalled or absent
 * worker from a quiet one without reaching the worker over the network. One row per process start;
 * rows unseen for a day are pruned by the workers themselves.
 */
export class WorkerHeartbeats1763860000000 implements MigrationInterface {
  name = 'WorkerHeartbeats1763860000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE worker_heartbeats (
        worker_id text NOT NULL,
        hostname text NOT NULL,
        pid integer NOT NULL,
        version text NOT NULL,
        runs text[] NOT NULL,
        started_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_worker_heartbeats PRIMARY KEY (worker_id)
      )`);
    // The freshest heartbeat and the stale-row prune both scan by last_seen_at.
    await q.query(`CREATE INDEX idx_worker_heartbeats_last_seen_at ON worker_heartbeats (last_seen_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_worker_heartbeats_last_seen_at`);
    await q.query(`DROP TABLE worker_heartbeats`);
  }
}
