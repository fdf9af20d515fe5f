/**
 * OpenAPI of the merchant's payments (merchant-payments.controller.ts, merchant-payment-exports.controller.ts)
 * and of the public status lookup.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PAYMENT_STATUSES } from '@tollgate/persistence';
import { cursorPage, dataList, errors, isoString, json, type Check, type Documents, type RouteDocs } from '../openapi/openapi-kit';
import { csvQuery, totalsQuery } from './merchant-payment-exports.controller';
import { CSV_COLUMNS, type DailyTotalView } from './merchant-payment-exports.service';
import { listQuery } from './merchant-payments.controller';
import type { MerchantPaymentDetail, MerchantPaymentView, PublicPaymentStatus } from './merchant-payments.service';
import { referenceParam } from './validation';

const status = z.enum(PAYMENT_STATUSES);
const atomic = z.string().regex(/^\d+$/).describe('atomic units, decimal string');

export const MerchantPaymentSchema = z
  .object({
    reference: z.string().describe('pay_…, as returned by /settle'),
    status,
    settlementMode: z.string().nullable(),
    network: z.string().describe('CAIP-2'),
    asset: z.string(),
    payer: z.string(),
    payTo: z.string(),
    amount: atomic,
    amountDecimal: z.string().nullable().describe('amount in whole tokens; null when the asset is not configured'),
    transaction: z.string().nullable().describe('settlement transaction hash once included'),
    failureReason: z.string().nullable(),
    resource: z.string().nullable().describe('URL of the paid resource (v1 paymentRequirements.resource, v2 paymentPayload.resource.url); null when the request named none'),
    createdAt: isoString,
    updatedAt: isoString,
  })
  .openapi('MerchantPayment');

const PaymentEventSchema = z.object({
  from: z.string().nullable(),
  to: z.string(),
  reason: z.string().nullable(),
  detail: z.record(z.unknown()).nullable(),
  at: isoString,
});

export const MerchantPaymentDetailSchema = MerchantPaymentSchema.extend({
  failureMessage: z.string().nullable(),
  validAfter: z.string().describe('unix seconds, as signed'),
  validBefore: z.string().describe('unix seconds, as signed'),
  attempts: z.number().int().describe('times the payment went back to the queue'),
  logIndex: z.number().int().nullable(),
  blockNumber: z.string().nullable(),
  blockHash: z.string().nullable(),
  confirmations: z.number().int().nullable().describe('chain head − inclusion block + 1; null before inclusion or when the RPC did not answer'),
  batch: z
    .object({ id: z.string().uuid(), status: z.string(), submittedAt: isoString.nullable(), includedAt: isoString.nullable(), confirmedAt: isoString.nullable() })
    .nullable(),
  queuedAt: isoString.nullable(),
  includedAt: isoString.nullable(),
  confirmedAt: isoString.nullable(),
  events: z.array(PaymentEventSchema),
}).openapi('MerchantPaymentDetail');

export const PublicPaymentStatusSchema = z
  .object({ reference: z.string(), status, network: z.string(), transaction: z.string().nullable().describe('null until included') })
  .openapi('PublicPaymentStatus');

export const DailyTotalSchema = z
  .object({
    day: z.string().describe('UTC date, YYYY-MM-DD'),
    network: z.string(),
    asset: z.string(),
    count: z.number().int().describe('payments created that day and not failed or lapsed'),
    amount: atomic,
    confirmedCount: z.number().int(),
    confirmedAmount: atomic,
  })
  .openapi('DailyTotal');

type _Checks = [
  Check<Documents<typeof MerchantPaymentSchema, MerchantPaymentView>>,
  Check<Documents<typeof MerchantPaymentDetailSchema, MerchantPaymentDetail>>,
  Check<Documents<typeof PublicPaymentStatusSchema, PublicPaymentStatus>>,
  Check<Documents<typeof DailyTotalSchema, DailyTotalView>>,
];

const referencePath = z.object({ reference: referenceParam });

/** Documents `/v1/merchant/payments…` and `/v1/payments/{reference}/status`. */
export const merchantPaymentsDocs: RouteDocs = (r: OpenAPIRegistry) => {
  r.registerPath({
    method: 'get',
    path: '/v1/merchant/payments',
    request: { query: listQuery },
    responses: { 200: json('Payments, newest first (`status` comma-separated or repeated)', cursorPage(MerchantPaymentSchema)), ...errors([400, 401]) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/merchant/payments/{reference}',
    request: { params: referencePath },
    responses: { 200: json('The payment with its batch and event history', MerchantPaymentDetailSchema), ...errors([400, 401, 404], { 404: 'Unknown reference, or another merchant’s payment' }) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/merchant/payments.csv',
    request: { query: csvQuery },
    responses: {
      200: { description: `CSV (RFC 4180, CRLF), streamed: the header \`${CSV_COLUMNS.join(',')}\`, then one line per payment`, content: { 'text/csv': { schema: z.string() } } },
      ...errors([400, 401]),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/merchant/payments/daily-totals',
    request: { query: totalsQuery },
    responses: { 200: json('Totals per UTC day, network and asset of payments created in [from, to), at most 366 days', dataList(DailyTotalSchema)), ...errors([400, 401]) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/payments/{reference}/status',
    request: { params: referencePath },
    responses: {
      200: json('What the payer may know: status, network and, once included, the transaction', PublicPaymentStatusSchema),
      ...errors([400, 404, 429], { 429: 'Beyond PUBLIC_RATE_LIMIT_PER_MINUTE for this address; retry after Retry-After seconds' }),
    },
  });
};
