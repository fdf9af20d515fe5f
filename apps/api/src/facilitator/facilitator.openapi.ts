/**
 * OpenAPI of the facilitator endpoints (`/verify`, `/settle`, `/supported`), built from the zod v4 schemas of
 * @tollgate/protocol that parse these bodies. The parser reads `paymentPayload.payload` per chain family
 * once the network is known, so the document composes the family payload schemas (EVM EIP-3009, Solana
 * transaction) into the envelope here; every piece is the parser's own schema.
 */
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z as z3 } from 'zod';
import { z } from 'zod/v4';
import { PAYMENT_STATUSES } from '@tollgate/persistence';
import {
  ExactEvmPayloadSchema,
  ExactSvmPayloadSchema,
  FacilitatorRequestV1Schema,
  FacilitatorRequestV2Schema,
  PAYMENT_IDENTIFIER_EXTENSION,
  PaymentPayloadV1Schema,
  PaymentPayloadV2Schema,
  SETTLEMENT_MODE_HEADER,
  SettleResponseSchema,
  SupportedResponseSchema,
  VerifyResponseSchema,
} from '@tollgate/protocol';
import { v4Component, type RouteDocs } from '../openapi/openapi-kit';
import { TOLLGATE_EXTENSION } from './facilitator.service';

const schemePayload = z
  .union([ExactEvmPayloadSchema, ExactSvmPayloadSchema])
  .meta({ description: '`exact` scheme payload: `{signature, authorization}` (EIP-3009) on eip155 networks, `{transaction}` on solana networks' });

const extensions = z
  .record(z.string(), z.unknown())
  .nullish()
  .meta({
    description: `Extensions the client sends. \`${PAYMENT_IDENTIFIER_EXTENSION}\`: \`{info: {id, required?}}\`, id 16-128 characters of [A-Za-z0-9_-], makes /settle idempotent per merchant`,
  });

/** The `/verify` and `/settle` body: x402 v1 (network names, `maxAmountRequired`) or v2 (CAIP-2, `amount`, `accepted`). */
const FacilitatorRequest = z.discriminatedUnion('x402Version', [
  FacilitatorRequestV1Schema.extend({ paymentPayload: PaymentPayloadV1Schema.extend({ payload: schemePayload }) }),
  FacilitatorRequestV2Schema.extend({ paymentPayload: PaymentPayloadV2Schema.extend({ payload: schemePayload, extensions }) }),
]);

const reference = z.string().meta({ description: "Tollgate's payment reference (pay_…): follow it at /v1/payments/{reference}/status" });

/** `extensions.tollgate` of a verify answer. */
const verifyExtensions = z.object({ [TOLLGATE_EXTENSION]: z.object({ reference, status: z.literal('verified') }) }).optional();

/** `extensions.tollgate` of a settle answer: where the payment is in Tollgate's queue. */
const settleExtensions = z
  .object({
    [TOLLGATE_EXTENSION]: z.object({
      reference,
      status: z.enum(PAYMENT_STATUSES),
      settlementMode: z.enum(['deferred', 'confirmed']).nullable(),
      settleBy: z.string().meta({ description: 'ISO-8601: the authorization expires then (its validBefore)' }),
    }),
  })
  .optional();

// Tollgate answers `network: ""` when the request named no readable network (a malformed body), which the
// protocol's response schema (a client-side parser) would refuse: the document says what is sent.
const network = z.string().meta({ description: 'the network as the request named it (CAIP-2 for v2, a v1 name for v1); "" when the body named none' });

const field = z.string().meta({ description: 'the offending input as a dotted path (e.g. paymentPayload.payload.authorization.value, content-type)' });

/** Statuses the guards and the error filter answer on both endpoints, with the body shape of the endpoint. */
function refusals(ref: { $ref: string }, extra: Record<number, string>): Record<number, ResponseConfig> {
  const meaning: Record<number, string> = {
    400: 'Malformed body (invalid_payload); `field` names the first offending value',
    401: 'Missing or invalid merchant API key (reason `unauthorized`)',
    413: 'Body larger than 64 kB (invalid_payload)',
    415: 'Body sent without content-type: application/json (invalid_payload, `field`: content-type)',
    429: "Beyond the merchant's requests per second (tollgate_rate_limited); retry after Retry-After seconds",
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(meaning).map(([code, description]) => [
      code,
      {
        description,
        content: { 'application/json': { schema: ref } },
        ...(code === '429' ? { headers: z3.object({ 'retry-after': z3.string().describe('seconds to wait') }) } : {}),
      },
    ]),
  );
}

/** Documents `POST /verify`, `POST /settle` and `GET /supported`. */
export const facilitatorDocs: RouteDocs = (r: OpenAPIRegistry) => {
  const request = v4Component(r, 'FacilitatorRequest', FacilitatorRequest);
  const verifyResponse = v4Component(r, 'VerifyResponse', VerifyResponseSchema.extend({ extensions: verifyExtensions }));
  const verifyError = v4Component(r, 'VerifyError', VerifyResponseSchema.extend({ isValid: z.literal(false), field: field.optional() }));
  const settleResponse = v4Component(r, 'SettleResponse', SettleResponseSchema.extend({ network, extensions: settleExtensions }));
  const settleError = v4Component(r, 'SettleError', SettleResponseSchema.extend({ success: z.literal(false), network, field: field.optional() }));
  const supported = v4Component(r, 'SupportedResponse', SupportedResponseSchema);
  const body = { required: true, content: { 'application/json': { schema: request } } };

  r.registerPath({
    method: 'post',
    path: '/verify',
    request: { body },
    responses: {
      200: {
        description: 'The verdict: `isValid` with the payer, or `invalidReason` (x402 or tollgate_* reason code) and `invalidMessage`. A valid payment is recorded as verified',
        content: { 'application/json': { schema: verifyResponse } },
      },
      ...refusals(verifyError, {}),
    },
  });

  r.registerPath({
    method: 'post',
    path: '/settle',
    request: {
      body,
      headers: z3.object({
        [SETTLEMENT_MODE_HEADER]: z3.enum(['deferred', 'confirmed']).optional().describe("overrides the merchant's settlement policy for this call; anything else is a 400"),
      }),
    },
    responses: {
      200: {
        description:
          'Deferred mode: `success: true`, `transaction: ""` and the payment queued (extensions.tollgate.reference). Confirmed mode: the ' +
          'transaction hash once its batch is included. A refusal or failure has `success: false` with `errorReason` and `errorMessage`',
        content: { 'application/json': { schema: settleResponse } },
      },
      ...refusals(settleError, {
        400: `Malformed body or ${SETTLEMENT_MODE_HEADER} header (invalid_payload); \`field\` names it`,
        409: 'The payment-identifier was already used with a different payment (tollgate_payment_identifier_conflict)',
      }),
    },
  });

  r.registerPath({
    method: 'get',
    path: '/supported',
    responses: {
      200: { description: 'Payment kinds (x402Version, scheme, network, extra), extensions and signer addresses per CAIP-2 family', content: { 'application/json': { schema: supported } } },
    },
  });
};
