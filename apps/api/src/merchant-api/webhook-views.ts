import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookEndpointRow } from '@tollgate/persistence';
import { isoOrNull as iso } from '../common/iso-time';

/** A webhook endpoint as the merchant API shows it (never its secret). Times are ISO-8601. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  /** `disabled` after sustained failure (see `disabledReason`) or by the merchant; re-enable with PATCH. */
  status: 'active' | 'disabled';
  disabledAt: string | null;
  disabledReason: string | null;
  /** Start of the current run of failed attempts; null while healthy. */
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** While set and in the future, the previous secret signs too (rotation overlap). */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An endpoint with its signing secret: only in the answers to create and rotate. */
export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  /** `whsec_…` (Standard Webhooks). Store it now: it is never shown again. */
  secret: string;
}

/** One delivery (one event for one endpoint) as the merchant API shows it. */
export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventType: string;
  /** The `webhook-id` header (stable across retries and replays). */
  messageId: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  paymentReference: string | null;
  occurredAt: string;
  replayOf: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttemptView {
  attempt: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  /** First 1024 characters of the receiver's answer. */
  responseBody: string | null;
  error: string | null;
}

/** The merchant API's view of an endpoint row. */
export function endpointView(r: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    status: r.status,
    disabledAt: iso(r.disabled_at),
    disabledReason: r.disabled_reason,
    failingSince: iso(r.failing_since),
    lastSuccessAt: iso(r.last_success_at),
    lastFailureAt: iso(r.last_failure_at),
    previousSecretExpiresAt: iso(r.previous_secret_expires_at),
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
  };
}

/** The merchant API's view of a delivery row; `nextAttemptAt` only while pending. */
export function deliveryView(r: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    eventType: r.event_type,
    messageId: r.message_id,
    status: r.status,
    attemptCount: r.attempt_count,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    paymentReference: r.reference,
    occurredAt: iso(r.occurred_at) as string,
    replayOf: r.replay_of,
    createdAt: iso(r.created_at) as string,
    completedAt: iso(r.completed_at),
  };
}

/** The merchant API's view of an attempt row. */
export function attemptView(a: WebhookAttemptRow): WebhookAttemptView {
  return {
    attempt: a.attempt,
    startedAt: new Date(a.started_at).toISOString(),
    statusCode: a.status_code,
    latencyMs: a.latency_ms,
    responseBody: a.response_body,
    error: a.error,
  };
}
