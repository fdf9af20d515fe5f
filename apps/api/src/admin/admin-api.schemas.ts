/**
 * Response schemas of the admin API (`/admin/api`), as the controller writes them: rows keep the console's
 * snake_case column names, bigints become decimal strings and Dates ISO strings (`jsonSafe`). Detail rows
 * carry more columns than listed (`passthrough`).
 */
import { z } from 'zod';
import { isoString } from '../openapi/openapi-kit';

const atomic = z.string().describe('atomic units (or wei), decimal string');
const row = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();

export const AdminMeSchema = z.object({ actor: z.string(), role: z.enum(['viewer', 'operator']), kind: z.enum(['session', 'token']), username: z.string().nullable() });

const LaneSchema = z.object({
  network: z.string(),
  asset: z.string(),
  symbol: z.string().nullable(),
  decimals: z.number().int().nullable(),
  verified: z.number().int(),
  queued: z.number().int(),
  batched: z.number().int(),
  submitted: z.number().int(),
  oldestQueuedAgeSeconds: z.number(),
  earliestDeadline: isoString.nullable(),
  exposure: atomic.describe('unsettled amount (verified … submitted), atomic units'),
  paused: z.boolean(),
  pausedReason: z.string().nullable(),
  flushRequestedAt: isoString.nullable(),
  openBatches: z.number().int(),
  configured: z.boolean(),
  health: z.enum(['running', 'slow', 'stalled', 'paused']),
});

const RelayerSchema = z.object({
  network: z.string(),
  address: z.string(),
  balanceWei: atomic.nullable(),
  nextNonce: z.string().nullable(),
  chainNonce: z.number().int().nullable(),
  openBatches: z.number().int(),
  nonceGap: z.number().int(),
  nonceGapSince: isoString.nullable(),
  wedged: z.boolean(),
  alarm: z.string().optional(),
  error: z.string().optional(),
  lowBalanceWei: atomic,
  balanceLevel: z.enum(['ok', 'low', 'critical', 'unknown']),
  nonceDrift: z.number().int().nullable(),
});

const WindowTotalsSchema = z.object({
  window: z.enum(['1h', '24h']),
  accepted: z.number().int(),
  queued: z.number().int(),
  included: z.number().int(),
  includedAmount: atomic,
  confirmed: z.number().int(),
  failed: z.number().int(),
  lapsed: z.number().int(),
  batches: z.number().int(),
  feesPaidWei: atomic,
});

export const AdminOverviewSchema = z
  .object({
    lanes: z.array(LaneSchema),
    laneThresholds: z.object({ slowAfterSeconds: z.number(), stalledAfterSeconds: z.number() }),
    relayers: z.array(RelayerSchema),
    totals: z.array(WindowTotalsSchema),
    generatedAt: isoString,
  })
  .openapi('AdminOverview');

const PaymentRowSchema = row({
  id: z.string().uuid(),
  reference: z.string(),
  status: z.string(),
  merchant_id: z.string().uuid(),
  merchant_name: z.string(),
  network: z.string(),
  asset: z.string(),
  payer: z.string(),
  pay_to: z.string(),
  amount: atomic,
  failure_reason: z.string().nullable(),
  failure_message: z.string().nullable(),
  attempts: z.number().int(),
  batch_id: z.string().uuid().nullable(),
  tx_hash: z.string().nullable(),
  settlement_mode: z.string().nullable(),
  expires_at: isoString,
  created_at: isoString,
  updated_at: isoString,
});

export const AdminPaymentPageSchema = z
  .object({
    rows: z.array(PaymentRowSchema),
    total: z.number().int(),
    totalIsEstimate: z.boolean().describe('true: `total` is the planner’s estimate (more pages follow)'),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi('AdminPaymentPage');

const anyRows = z.array(z.record(z.unknown()));

export const AdminPaymentDetailSchema = z
  .object({
    payment: PaymentRowSchema.extend({ block_number: z.string().nullable() }),
    events: z.array(z.object({ id: z.string(), from_status: z.string().nullable(), to_status: z.string(), reason: z.string().nullable(), detail: z.unknown(), created_at: isoString })),
    batches: anyRows.describe('the batches that carried it'),
    transactions: anyRows.describe('every transaction broadcast for those batches'),
    confirmations: z.number().int().nullable(),
    headError: z.string().optional().describe('why confirmations could not be read'),
    deliveries: anyRows.describe('its webhook deliveries'),
  })
  .openapi('AdminPaymentDetail');

/** The outcome of an action applied by the API itself (lanes, merchants, webhook replays). */
export const AdminActionResultSchema = z
  .object({ ok: z.literal(true), message: z.string(), before: z.unknown(), after: z.unknown() })
  .openapi('AdminActionResult');

/** An action carried out by the worker (retry, void, replace). */
export const AdminRequestedActionSchema = AdminActionResultSchema.extend({
  actionId: z.string().uuid().describe('follow it at GET /admin/api/actions/{id}'),
  status: z.enum(['succeeded', 'requested']),
}).openapi('AdminRequestedAction');

export const AdminOperatorActionSchema = z
  .object({
    id: z.string().uuid(),
    action: z.enum(['payment.retry', 'payment.void', 'batch.replace']),
    target_type: z.string(),
    target_id: z.string(),
    params: z.record(z.unknown()),
    actor: z.string(),
    actor_user_id: z.string().nullable(),
    actor_token_id: z.string().nullable(),
    request_id: z.string().nullable(),
    status: z.enum(['requested', 'succeeded', 'refused', 'not_found', 'expired', 'failed']),
    message: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requested_at: isoString,
    finished_at: isoString.nullable(),
  })
  .openapi('AdminOperatorAction');

export const AdminBatchRowSchema = row({
  id: z.string().uuid(),
  network: z.string(),
  asset: z.string(),
  relayer: z.string(),
  status: z.string(),
  kind: z.string().nullable(),
  payment_count: z.number().int(),
  gas_used: z.string().nullable(),
  fee_paid: z.string().nullable(),
  replacements: z.number().int(),
  tx_hash: z.string().nullable(),
  landed: z.number().int().describe('its payments now included or confirmed'),
  created_at: isoString,
  replace_requested_at: isoString.nullable(),
}).openapi('AdminBatchRow');

export const AdminBatchDetailSchema = z
  .object({
    batch: row({ id: z.string().uuid(), status: z.string(), gas_used: z.string().nullable() }),
    rows: z.array(
      row({
        id: z.string().uuid(),
        reference: z.string(),
        status: z.string(),
        payer: z.string(),
        amount: atomic,
        failure_reason: z.string().nullable(),
        tx_hash: z.string().nullable(),
        log_index: z.number().int().nullable(),
        still_in_batch: z.boolean(),
        left_with: z.object({ to_status: z.string(), reason: z.string().nullable(), created_at: z.string() }).nullable(),
      }),
    ),
    transactions: z.array(row({ tx_hash: z.string(), nonce: z.string(), purpose: z.string(), status: z.string() })),
    landed: z.number().int(),
    gasPerPayment: z.string().nullable(),
  })
  .openapi('AdminBatchDetail');

export const AdminFailuresSchema = z
  .object({
    reasons: z.array(
      z.object({
        reason: z.string(),
        status: z.string(),
        lastHour: z.number().int(),
        lastDay: z.number().int(),
        lastWeek: z.number().int(),
        series: z.array(z.number().int()).describe('hourly counts, oldest first'),
        currentlyFailed: z.number().int().optional(),
      }),
    ),
    hours: z.number().int(),
    buckets: z.array(z.string()),
  })
  .openapi('AdminFailures');

export const AdminDeliveryRowSchema = z
  .object({
    id: z.string().uuid(),
    merchant_id: z.string().uuid(),
    merchant_name: z.string(),
    endpoint_id: z.string().uuid(),
    url: z.string(),
    event_type: z.string(),
    message_id: z.string(),
    status: z.string(),
    attempt_count: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    replay_of: z.string().nullable(),
    payment_reference: z.string().nullable(),
    created_at: isoString,
    attempts: z.array(z.object({ attempt: z.number().int(), started_at: z.string(), status_code: z.number().int().nullable(), latency_ms: z.number(), error: z.string().nullable() })),
  })
  .openapi('AdminDeliveryRow');

export const AdminMerchantRowSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    settlement_mode: z.string(),
    confirmed_threshold: atomic.nullable(),
    max_unsettled_exposure: atomic.nullable(),
    pay_to: z.array(z.string()),
    key_prefixes: z.array(z.string()).describe('" (revoked)" appended to revoked ones'),
    endpoints: z.number().int(),
    payments: z.number().int(),
    created_at: isoString,
  })
  .openapi('AdminMerchantRow');

export const AdminMerchantDetailSchema = z
  .object({
    merchant: AdminMerchantRowSchema,
    endpoints: z.array(
      z.object({
        id: z.string().uuid(),
        url: z.string(),
        description: z.string().nullable(),
        event_types: z.array(z.string()),
        status: z.string(),
        disabled_reason: z.string().nullable(),
        failing_since: isoString.nullable(),
        last_success_at: isoString.nullable(),
        last_failure_at: isoString.nullable(),
        created_at: isoString,
      }),
    ),
  })
  .openapi('AdminMerchantDetail');

export const AdminCreatedMerchantSchema = AdminActionResultSchema.extend({
  merchantId: z.string().uuid(),
  apiKey: z.string().describe('the merchant’s API key: shown in this answer only'),
  apiKeyPrefix: z.string(),
}).openapi('AdminCreatedMerchant');

export const AdminAuditRowSchema = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    detail: z.record(z.unknown()).nullable(),
    request_id: z.string().nullable(),
    at: isoString,
  })
  .openapi('AdminAuditRow');
