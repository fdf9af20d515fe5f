import type { DataSource } from 'typeorm';

/** Row of the console's merchants list (thresholds atomic units, decimal strings). */
export interface ConsoleMerchantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlement_mode: string;
  confirmed_threshold: string | null;
  max_unsettled_exposure: string | null;
  pay_to: string[];
  /** Key prefixes, ` (revoked)` appended to revoked ones. */
  key_prefixes: string[];
  endpoints: number;
  payments: number;
  created_at: Date;
}

/** A merchant webhook endpoint (its secret never leaves the database). */
export interface ConsoleEndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  status: string;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  created_at: Date;
}

/** A webhook delivery with its attempts. */
export interface ConsoleDeliveryRow {
  id: string;
  merchant_id: string;
  merchant_name: string;
  endpoint_id: string;
  url: string;
  event_type: string;
  message_id: string;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  replay_of: string | null;
  payment_reference: string | null;
  created_at: Date;
  /** `created_at` as ISO 8601 UTC with microseconds: the keyset of the next page ({@link ConsoleDeliveryFilter.before}). */
  page_key_at: string;
  attempts: Array<{ attempt: number; started_at: string; status_code: number | null; latency_ms: number; error: string | null }>;
}

/** Filters of the deliveries list; merchant and endpoint are UUID text (the caller drops anything else). */
export interface ConsoleDeliveryFilter {
  merchant?: string;
  endpoint?: string;
  status?: string;
  /**
   * Keyset page: only deliveries older than this one in the list's order (`created_at` then `id`,
   * descending). `createdAt` is the row's `page_key_at` (ISO 8601 UTC with microseconds, so no two rows of
   * one millisecond are skipped or repeated); `id` its UUID.
   */
  before?: { createdAt: string; id: string };
}

/** Read models of the console's merchants and webhooks pages. Nothing here writes. */
export class ConsoleMerchantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** True once the webhooks migration has run (the console works without it). */
  async hasWebhookTables(): Promise<boolean> {
    const [{ ok }] = await this.dataSource.query(`SELECT to_regclass('webhook_deliveries') IS NOT NULL AND to_regclass('webhook_attempts') IS NOT NULL AS ok`);
    return ok;
  }

  /**
   * The 500 newest merchants with pay-to addresses, key prefixes and counts (payments from the
   * `payment_status_totals` rollup, never counted over history); `hasWebhooks` from {@link hasWebhookTables}.
   */
  async merchants(hasWebhooks: boolean): Promise<ConsoleMerchantRow[]> {
    return this.dataSource.query(
      `SELECT m.id, m.name, m.status, m.settlement_mode, m.confirmed_threshold::text, m.created_at,
              ${hasWebhooks ? `m.max_unsettled_exposure::text` : 'NULL::text'} AS max_unsettled_exposure,
              array(SELECT address FROM merchant_pay_to t WHERE t.merchant_id = m.id ORDER BY address) AS pay_to,
              array(SELECT prefix || CASE WHEN revoked_at IS NULL THEN '' ELSE ' (revoked)' END FROM merchant_api_keys k
                     WHERE k.merchant_id = m.id ORDER BY created_at) AS key_prefixes,
              ${hasWebhooks ? `(SELECT count(*)::int FROM webhook_endpoints e WHERE e.merchant_id = m.id AND e.deleted_at IS NULL)` : '0'} AS endpoints,
              (SELECT coalesce(sum(n), 0)::int FROM payment_status_totals s WHERE s.merchant_id = m.id AND s.to_status = 'verified') AS payments
         FROM merchants m ORDER BY m.created_at DESC LIMIT 500`,
    );
  }

  /** The merchant's endpoints that are not deleted, oldest first (needs the webhook tables). */
  async endpoints(merchantId: string): Promise<ConsoleEndpointRow[]> {
    return this.dataSource.query(
      `SELECT id, url, description, event_types, status, disabled_reason, failing_since, last_success_at, last_failure_at, created_at
         FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY created_at`,
      [merchantId],
    );
  }

  /**
   * Newest-first deliveries with their attempts (needs the webhook tables). `limit`/`offset` are the caller's
   * bounds; the console pages with `f.before` instead (offset 0), which stays cheap however deep it goes.
   */
  async deliveries(f: ConsoleDeliveryFilter, limit: number, offset: number): Promise<ConsoleDeliveryRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.merchant) {
      params.push(f.merchant);
      where.push(`d.merchant_id = $${params.length}`);
    }
    if (f.endpoint) {
      params.push(f.endpoint);
      where.push(`d.endpoint_id = $${params.length}`);
    }
    if (f.status) {
      params.push(f.status);
      where.push(`d.status = $${params.length}`);
    }
    if (f.before) {
      params.push(f.before.createdAt, f.before.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return this.dataSource.query(
      `SELECT d.id, d.merchant_id, m.name AS merchant_name, d.endpoint_id, e.url, d.event_type, d.message_id, d.status, d.attempt_count,
              to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS page_key_at,
              d.next_attempt_at, d.last_status_code, d.last_error, d.replay_of, d.created_at, d.completed_at, p.reference AS payment_reference,
              coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at, 'status_code', a.status_code,
                                                          'latency_ms', a.latency_ms, 'error', a.error) ORDER BY a.attempt)
                          FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempts
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN merchants m ON m.id = d.merchant_id
         LEFT JOIN payments_all p ON p.id = d.payment_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY d.created_at DESC, d.id DESC LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
  }
}
