import type { DataSource } from 'typeorm';

/** A webhook endpoint that is failing (or was disabled for failing), as the console's webhooks page lists it. */
export interface FailingEndpointRow {
  id: string;
  merchant_id: string;
  merchant_name: string;
  url: string;
  status: string;
  disabled_reason: string | null;
  /** First failed attempt since the last success (cleared by a success). */
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  /** Failed attempts since `failing_since`: every attempt since then failed, so they are consecutive. */
  consecutive_failures: number;
  /** The newest failed attempt's error, or `HTTP <status>` when the endpoint answered. */
  last_error: string | null;
}

/** Deliveries are attempted for about a day (WEBHOOK_RETRY_SCHEDULE_MS): older ones cannot hold recent attempts. */
const ATTEMPT_HORIZON = '2 days';

/**
 * Webhook endpoint health for the console: endpoints failing now or disabled, worst first, with their
 * consecutive failures and last error. Reads only failing endpoints' recent deliveries (by the
 * `(endpoint_id, occurred_at)` index) and their attempts (by `(delivery_id, attempt)`).
 */
export class WebhookEndpointHealthRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** At most `limit` failing or disabled (not deleted) endpoints, longest-failing first. */
  async failing(limit = 50): Promise<FailingEndpointRow[]> {
    return this.dataSource.query(
      `SELECT e.id, e.merchant_id, m.name AS merchant_name, e.url, e.status, e.disabled_reason, e.failing_since, e.last_success_at,
              e.last_failure_at, coalesce(f.failures, 0) AS consecutive_failures, f.last_error
         FROM webhook_endpoints e
         JOIN merchants m ON m.id = e.merchant_id
         LEFT JOIN LATERAL (
           SELECT count(*)::int AS failures,
                  (array_agg(coalesce(a.error, 'HTTP ' || a.status_code::text) ORDER BY a.started_at DESC))[1] AS last_error
             FROM webhook_deliveries d
             JOIN webhook_attempts a ON a.delivery_id = d.id
            WHERE d.endpoint_id = e.id AND d.occurred_at > e.failing_since - interval '${ATTEMPT_HORIZON}' AND a.started_at >= e.failing_since
         ) f ON true
        WHERE e.deleted_at IS NULL AND (e.failing_since IS NOT NULL OR e.status = 'disabled')
        ORDER BY e.failing_since ASC NULLS LAST, e.id
        LIMIT $1`,
      [limit],
    );
  }
}
