import type { DataSource } from 'typeorm';
import { queryRows } from '../query-rows';

/** A pending delivery whose job is to be made now: delayed until it is due. */
export interface DeliveryToEnqueue {
  id: string;
  attempt_count: number;
  /** Milliseconds until the delivery is due (0 when due), as Postgres bigint text. */
  delay_ms: string;
}

/**
 * The outbox relay's claims: marks pending deliveries as having a job (`job_enqueued_at`) before the job is
 * made, under `FOR UPDATE SKIP LOCKED` so two relays never claim one row. A row whose job could not be made
 * is released again for the next pass.
 */
export class WebhookRelayRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Claims those of `ids` that are pending and have no job yet. */
  async claimNew(ids: string[]): Promise<DeliveryToEnqueue[]> {
    return queryRows<DeliveryToEnqueue>(
      this.dataSource,
      `WITH picked AS (
         SELECT id FROM webhook_deliveries WHERE id = ANY($1::uuid[]) AND status = 'pending' AND job_enqueued_at IS NULL FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET job_enqueued_at = now() FROM picked WHERE d.id = picked.id
         RETURNING d.id, d.attempt_count, GREATEST(0, ceil(extract(epoch FROM d.next_attempt_at - clock_timestamp()) * 1000))::bigint AS delay_ms
       )
       SELECT * FROM claimed`,
      [ids],
    );
  }

  /** Claims up to `limit` pending deliveries no job was made for, oldest first. */
  async claimUnrelayed(limit: number): Promise<DeliveryToEnqueue[]> {
    return queryRows<DeliveryToEnqueue>(
      this.dataSource,
      `WITH picked AS (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND job_enqueued_at IS NULL
          ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET job_enqueued_at = now() FROM picked WHERE d.id = picked.id
         RETURNING d.id, d.attempt_count, GREATEST(0, ceil(extract(epoch FROM d.next_attempt_at - clock_timestamp()) * 1000))::bigint AS delay_ms
       ) SELECT * FROM claimed`,
      [limit],
    );
  }

  /**
   * Claims again up to `limit` pending deliveries that nobody holds, due and given a job more than
   * `lostSeconds` ago: their job vanished (Redis flushed, worker crash).
   * @returns their ids, most overdue first.
   */
  async claimLost(limit: number, lostSeconds: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `WITH picked AS (
         SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND job_enqueued_at IS NOT NULL
            AND next_attempt_at < clock_timestamp() - make_interval(secs => $2)
            AND job_enqueued_at < clock_timestamp() - make_interval(secs => $2)
            AND (locked_until IS NULL OR locked_until < clock_timestamp())
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET job_enqueued_at = now() FROM picked WHERE d.id = picked.id RETURNING d.id
       ) SELECT * FROM claimed`,
      [limit, lostSeconds],
    );
    return rows.map((r) => r.id);
  }

  /** Gives pending deliveries whose job could not be made back to the relay. */
  async release(ids: string[]): Promise<void> {
    await this.dataSource.query(`UPDATE webhook_deliveries SET job_enqueued_at = NULL WHERE id = ANY($1::uuid[]) AND status = 'pending'`, [ids]);
  }
}
