/**
 * zod schemas of the webhook bodies Tollgate sends, for the API's OpenAPI document (`webhooks`). They describe
 * exactly the types {@link buildPayload} builds (event-payload.ts): the checks at the end make any drift
 * between the two a compile error. Nothing parses with them: Tollgate only writes these bodies.
 */
import { z } from 'zod';
import { ENDPOINT_DISABLED_EVENT, PAYMENT_STATUSES, PAYMENT_WEBHOOK_EVENT_TYPES, SETTLEMENT_WEBHOOK_EVENT_TYPES, TEST_EVENT } from '@tollgate/persistence';
import type { EndpointDisabledSnapshot, PaymentEventData, SettlementEventData, TestEventSnapshot, WebhookPayload } from './event-payload';

const nullableString = z.string().nullable();

/** `data` of every `payment.*` event. */
export const PaymentEventDataSchema = z.object({
  reference: z.string().describe("Tollgate's payment reference (pay_…), as returned by /settle"),
  status: z.string().describe(`the status after the change: ${PAYMENT_STATUSES.join(', ')}`),
  previousStatus: nullableString,
  reason: nullableString.describe('machine reason of the transition (e.g. reorged, a failure reason)'),
  network: z.string().describe('CAIP-2'),
  asset: z.string().describe('EIP-55 checksummed on EVM'),
  symbol: nullableString.describe('token symbol when the asset is configured'),
  payer: z.string(),
  payTo: z.string(),
  amount: z.string().describe('atomic units, decimal string'),
  amountDecimal: nullableString.describe('amount in whole tokens, e.g. "0.01"; null when the asset’s decimals are unknown'),
  decimals: z.number().int().nullable(),
  settlementMode: nullableString,
  transaction: nullableString.describe('settlement transaction hash, once included'),
  logIndex: z.number().int().nullable().describe("index of the token's AuthorizationUsed log in that transaction's receipt"),
  blockNumber: nullableString,
  failureReason: nullableString,
  failureMessage: nullableString,
  reorgedTransaction: nullableString.optional().describe('payment.reorged only: the transaction whose block was reorganised away'),
  reorgedBlockNumber: nullableString.optional().describe('payment.reorged only'),
});

/** One payment listed in a `settlement.*` event. */
const SettlementPaymentDataSchema = z.object({
  reference: z.string(),
  payer: z.string(),
  payTo: z.string(),
  asset: z.string(),
  amount: z.string().describe('atomic units, decimal string'),
  nonce: z.string(),
  network: z.string().describe('CAIP-2'),
  transaction: nullableString,
  logIndex: z.number().int().nullable().describe("index of the payment's AuthorizationUsed log in the transaction"),
  blockNumber: nullableString,
});

/** `data` of `settlement.included` / `settlement.confirmed`: one merchant's payments in one EVM batch. */
export const SettlementEventDataSchema = z.object({
  batchId: z.string().uuid(),
  status: z.enum(['included', 'confirmed']),
  network: z.string().describe('CAIP-2'),
  asset: z.string(),
  symbol: nullableString,
  decimals: z.number().int().nullable(),
  transaction: nullableString,
  blockNumber: nullableString,
  count: z.number().int().describe('payments listed'),
  amount: z.string().describe('their sum, atomic units'),
  amountDecimal: nullableString.describe('their sum in whole tokens; null when the asset is not configured'),
  payments: z.array(SettlementPaymentDataSchema),
});

/** `data` of `webhook_endpoint.disabled`, sent to the merchant's other endpoints. */
export const EndpointDisabledDataSchema = z.object({
  endpointId: z.string().uuid(),
  url: z.string(),
  reason: z.string(),
  failingSince: nullableString.describe('ISO-8601'),
  disabledAt: z.string().describe('ISO-8601'),
});

/** `data` of `webhook.test`. */
export const TestEventDataSchema = z.object({ endpointId: z.string().uuid(), message: z.string() });

/** A webhook body (Standard Webhooks shape) of the given event types with the given `data`. */
function webhookBody<D extends z.ZodTypeAny>(types: readonly [string, ...string[]], data: D) {
  return z.object({
    type: z.enum(types),
    timestamp: z.string().describe('ISO-8601 time of the change (not of the attempt: that is the webhook-timestamp header)'),
    data,
  });
}

/** Every webhook body, by event type. */
export const WEBHOOK_BODY_SCHEMAS = {
  payment: webhookBody(PAYMENT_WEBHOOK_EVENT_TYPES, PaymentEventDataSchema),
  settlement: webhookBody(SETTLEMENT_WEBHOOK_EVENT_TYPES, SettlementEventDataSchema),
  endpointDisabled: webhookBody([ENDPOINT_DISABLED_EVENT], EndpointDisabledDataSchema),
  test: webhookBody([TEST_EVENT], TestEventDataSchema),
} as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type _SchemaTypeChecks = [
  Check<Same<z.output<typeof PaymentEventDataSchema>, PaymentEventData>>,
  Check<Same<z.output<typeof SettlementEventDataSchema>, SettlementEventData>>,
  Check<Same<z.output<typeof EndpointDisabledDataSchema>, EndpointDisabledSnapshot>>,
  Check<Same<z.output<typeof TestEventDataSchema>, TestEventSnapshot>>,
  Check<Same<Omit<z.output<(typeof WEBHOOK_BODY_SCHEMAS)['payment']>, 'type'>, Omit<WebhookPayload<PaymentEventData>, 'type'>>>,
];
