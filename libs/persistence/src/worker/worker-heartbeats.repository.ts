import type { DataSource } from 'typeorm';

/** One worker process as it announces itself (see {@link WorkerHeartbeatsRepository.beat}). */
export interface WorkerHeartbeat {
  /** `hostname:pid:startedAtMs`: unique per process start. */
  workerId: string;
  hostname: string;
  pid: number;
  version: string;
  /** What the process runs, e.g. `['settlement']`. */
  runs: string[];
  startedAt: Date;
}

/** The freshest heartbeat and how many workers beat recently (ages in seconds, null when no row). */
export interface WorkerLiveness {
  /** Seconds since the freshest heartbeat of any worker; null when no worker ever beat (or all were pruned). */
  lastSeenAgeSeconds: number | null;
  /** Workers whose heartbeat is at most `staleAfterSeconds` old. */
  live: number;
}

/**
 * Worker heartbeats (`worker_heartbeats`): written by each worker process every few seconds, read by the
 * API for the console banner, `/health/settlement` and `tollgate_worker_last_seen_seconds`. The table holds
 * one row per process start, pruned after a day, so every read is over a handful of rows.
 */
export class WorkerHeartbeatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Upserts the process's row with `last_seen_at = now()` (Postgres's clock, the one every reader compares to). */
  async beat(w: WorkerHeartbeat): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO worker_heartbeats (worker_id, hostname, pid, version, runs, started_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6, now())
       ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now(), runs = EXCLUDED.runs`,
      [w.workerId, w.hostname, w.pid, w.version, w.runs, w.startedAt],
    );
  }

  /** Deletes rows unseen for longer than `olderThanSeconds` (processes long gone); returns how many. */
  async prune(olderThanSeconds: number): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(`DELETE FROM worker_heartbeats WHERE last_seen_at < now() - make_interval(secs => $1) RETURNING 1`, [olderThanSeconds]);
    return rows.length;
  }

  /** The freshest heartbeat's age and the number of workers seen within `staleAfterSeconds`. */
  async liveness(staleAfterSeconds: number): Promise<WorkerLiveness> {
    const [r]: Array<{ age: number | null; live: number }> = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - max(last_seen_at))::float8 AS age,
              count(*) FILTER (WHERE last_seen_at >= now() - make_interval(secs => $1))::int AS live
         FROM worker_heartbeats`,
      [staleAfterSeconds],
    );
    return { lastSeenAgeSeconds: r.age === null ? null : Math.max(0, r.age), live: r.live };
  }
}
