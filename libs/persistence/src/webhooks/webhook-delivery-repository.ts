import type { DataSource } from 'typeorm';
import { queryRows } from '../query-rows';
import { cursorTimestampSql, KeysetCursor, whereAdder } from '../sql-where';
import type { StatusRunner } from '../status-writer';
import type { WebhookDeliveryStatus } from './webhook-delivery-status';

/** A delivery as its merchant reads it, with the payment's reference. */
export interface WebhookDeliveryRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  message_id: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  reference: string | null;
  occurred_at: Date;
  replay_of: string | null;
  created_at: Date;
  completed_at: Date | null;
  snapshot: Record<string, unknown>;
  /** The keyset position of the row (see {@link cursorTimestampSql}); '' where no listing needs it. */
  cursor_ts: string;
}

/** One HTTP attempt of a delivery (`webhook_attempts`, append-only). */
export interface WebhookAttemptRow {
  attempt: number;
  started_at: Date;
  status_code: number | null;
  latency_ms: number;
  /** First 1024 characters of the receiver's answer. */
  response_body: string | null;
  error: string | null;
}

/** A delivery claimed for one attempt. */
export interface ClaimedWebhookDelivery {
  id: string;
  endpoint_id: string;
  merchant_id: string;
  event_type: string;
  message_id: string;
  payment_id: string | null;
  occurred_at: Date;
  snapshot: Record<string, unknown>;
  attempt_count: number;
}

/**
 * Webhook deliveries and their attempts: the merchant API's reads (scoped by merchant and endpoint) and
 * the deliverer's claim, attempt log and retry schedule. Status changes go through WebhookDeliveryStore.
 */
export class WebhookDeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first, keyset over (event time, id); `limit` rows at most. */
  async listForEndpoint(
    merchantId: string,
    endpointId: string,
    q: { status?: WebhookDeliveryStatus; eventType?: string; cursor?: KeysetCursor | null; limit: number },
  ): Promise<WebhookDeliveryRow[]> {
    const params: unknown[] = [endpointId, merchantId];
    const where = ['d.endpoint_id = $1', 'd.merchant_id = $2'];
    const add = whereAdder(params, where);
    if (q.status) add('d.status = ?', q.status);
    if (q.eventType) add('d.event_type = ?', q.eventType);
    if (q.cursor) add('(d.occurred_at, d.id) < (?::timestamptz, ?::uuid)', q.cursor.ts, q.cursor.id);
    params.push(q.limit);
    return queryRows<WebhookDeliveryRow>(
      this.dataSource,
      `SELECT d.*, p.reference, ${cursorTimestampSql('d.occurred_at')} AS cursor_ts
         FROM webhook_deliveries d LEFT JOIN payments_all p ON p.id = d.payment_id
        WHERE ${where.join(' AND ')}
        ORDER BY d.occurred_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** One delivery of the merchant's endpoint, or null. */
  async getForEndpoint(merchantId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryRow | null> {
    const [row] = await queryRows<WebhookDeliveryRow>(
      this.dataSource,
      `SELECT d.*, p.reference, '' AS cursor_ts FROM webhook_deliveries d LEFT JOIN payments_all p ON p.id = d.payment_id
        WHERE d.id = $1 AND d.endpoint_id = $2 AND d.merchant_id = $3`,
      [deliveryId, endpointId, merchantId],
    );
    return row ?? null;
  }

  /** A delivery's attempts, first first. */
  async attempts(deliveryId: string): Promise<WebhookAttemptRow[]> {
    return queryRows<WebhookAttemptRow>(
      this.dataSource,
      `SELECT attempt, started_at, status_code, latency_ms, response_body, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
  }

  /**
   * Claims a delivery for one attempt if it is pending, due and not held: holds it for `holdSeconds`.
   * @returns the claimed delivery, or null (see {@link state} for why).
   */
  async claim(deliveryId: string, holdSeconds: number): Promise<ClaimedWebhookDelivery | null> {
    const [d] = await queryRows<ClaimedWebhookDelivery>(
      this.dataSource,
      `WITH c AS (
         UPDATE webhook_deliveries SET locked_until = clock_timestamp() + make_interval(secs => $2), updated_at = now()
          WHERE id = $1 AND status = 'pending' AND next_attempt_at <= clock_timestamp()
            AND (locked_until IS NULL OR locked_until < clock_timestamp())
          RETURNING id, endpoint_id, merchant_id, event_type, message_id, payment_id, occurred_at, snapshot, attempt_count
       ) SELECT * FROM c`,
      [deliveryId, holdSeconds],
    );
    return d ?? null;
  }

  /** Status of a delivery, milliseconds until it is due (negative: overdue) and whether an attempt holds it; null if none. */
  async state(deliveryId: string): Promise<{ status: string; dueInMs: number; held: boolean } | null> {
    const [row] = await queryRows<{ status: string; due_in_ms: string; held: boolean }>(
      this.dataSource,
      `SELECT status, ceil(extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000)::bigint AS due_in_ms,
              coalesce(locked_until >= clock_timestamp(), false) AS held
         FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    );
    return row ? { status: row.status, dueInMs: Number(row.due_in_ms), held: row.held } : null;
  }

  /** Appends an attempt to the log. */
  async recordAttempt(
    m: StatusRunner,
    a: { deliveryId: string; attempt: number; startedAt: Date; statusCode: number | null; latencyMs: number; responseBody: string | null; error: string | null },
  ): Promise<void> {
    await m.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, response_body, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [a.deliveryId, a.attempt, a.startedAt, a.statusCode, a.latencyMs, a.responseBody, a.error],
    );
  }

  /**
   * Keeps a delivery pending after failed attempt `attempt`, due again in `delaySeconds`, released from its
   * claim and marked as having a job (the caller makes it).
   */
  async scheduleRetry(m: StatusRunner, id: string, attempt: number, statusCode: number | null, error: string | null, delaySeconds: number): Promise<void> {
    await m.query(
      `UPDATE webhook_deliveries SET attempt_count = $2, last_status_code = $3, last_error = $4, locked_until = NULL,
              next_attempt_at = clock_timestamp() + make_interval(secs => $5), job_enqueued_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, attempt, statusCode, error, delaySeconds],
    );
  }
}
