import { DataSource, EntityManager } from 'typeorm';

/** What a lane (network, asset) holds right now, as stored. */
export interface LaneRow {
  network: string;
  asset: string;
  queued: number;
  oldest: Date;
  earliest: Date;
  paused: boolean | null;
  flush_requested_at: Date | null;
  /** When a batch of this lane was last abandoned on a permanent RPC error, within the last minute. */
  last_rpc_failure: Date | null;
}

/** A lane: one (network, asset). */
export interface LaneKey {
  network: string;
  asset: string;
}

/**
 * The lane scheduler's reads and claims: queued payments per lane (`payments`), the operator's lane
 * settings (`lanes`). Claims lock with `FOR UPDATE SKIP LOCKED`, so concurrent schedulers never claim
 * the same row twice and never wait on each other.
 */
export class LanesRepository {
  constructor(private readonly db: DataSource) {}

  /** Every lane with at least one queued payment. */
  states(): Promise<LaneRow[]> {
    return this.db.query(
      `SELECT p.network, p.asset, count(*)::int AS queued, min(p.queued_at) AS oldest, min(p.expires_at) AS earliest,
                l.paused, l.flush_requested_at,
                (SELECT max(b.updated_at) FROM settlement_batches b
                  WHERE b.network = p.network AND b.asset = p.asset AND b.status = 'failed'
                    AND b.failure_reason LIKE 'rpc_error:%' AND b.updated_at > now() - interval '1 minute') AS last_rpc_failure
           FROM payments p LEFT JOIN lanes l ON l.network = p.network AND l.asset = p.asset
          WHERE p.status = 'queued'
          GROUP BY p.network, p.asset, l.paused, l.flush_requested_at`,
    );
  }

  /** Queued payments of the lane. */
  async countQueued(lane: LaneKey): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.db.query(
      `SELECT count(*)::int AS n FROM payments WHERE network = $1 AND asset = $2 AND status = 'queued'`,
      [lane.network, lane.asset],
    );
    return n;
  }

  /**
   * Locks (`FOR UPDATE SKIP LOCKED`, until `m` ends) the lane's queued payments whose `validBefore` comes
   * within `guardSeconds`: too late to send.
   * @returns their ids.
   */
  async claimExpiring(m: EntityManager, lane: LaneKey, guardSeconds: number): Promise<string[]> {
    const expired: Array<{ id: string }> = await m.query(
      `SELECT id FROM payments WHERE network = $1 AND asset = $2 AND status = 'queued'
            AND expires_at <= now() + make_interval(secs => $3) FOR UPDATE SKIP LOCKED`,
      [lane.network, lane.asset, guardSeconds],
    );
    return expired.map((r) => r.id);
  }

  /**
   * Locks (`FOR UPDATE SKIP LOCKED`, until `m` ends) up to `limit` of the lane's queued payments that
   * leave more than `guardSeconds`, earliest deadline first.
   * @returns their ids in that order.
   */
  async claimQueued(m: EntityManager, lane: LaneKey, guardSeconds: number, limit: number): Promise<string[]> {
    const picked: Array<{ id: string }> = await m.query(
      `SELECT id FROM payments WHERE network = $1 AND asset = $2 AND status = 'queued'
            AND expires_at > now() + make_interval(secs => $3)
          ORDER BY expires_at, queued_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
      [lane.network, lane.asset, guardSeconds, limit],
    );
    return picked.map((r) => r.id);
  }

  /** Clears an operator's "flush now" of the lane (a flush is under way). */
  async clearFlushRequest(m: EntityManager, lane: LaneKey): Promise<void> {
    await m.query(`UPDATE lanes SET flush_requested_at = NULL, updated_at = now() WHERE network = $1 AND asset = $2`, [lane.network, lane.asset]);
  }
}
