/** OpenAPI of the merchant's own settings (merchant.controller.ts): profile, settlement policy, payTo addresses. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { dataList, errors, isoString, json, jsonBody, type Check, type Documents, type RouteDocs } from '../openapi/openapi-kit';
import { payToBody, policyPatch } from './merchant.controller';
import type { MerchantView, PayToView, SettlementPolicyView } from './merchant-settings.service';
import { payToAddress } from './validation';

const atomicOrNull = z.string().regex(/^\d{1,78}$/).nullable();

/** How a merchant's payments settle. */
export const SettlementPolicySchema = z
  .object({
    defaultMode: z.enum(['deferred', 'confirmed']).describe('mode used when neither the request header nor the threshold decides'),
    confirmedThreshold: atomicOrNull.describe('payments of at least this many atomic units settle in confirmed mode; null = never by amount'),
    maxUnsettledExposure: atomicOrNull.describe('ceiling on accepted-but-unsettled payments per network and asset (atomic units); null = none'),
  })
  .openapi('SettlementPolicy');

export const MerchantSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    settlementPolicy: SettlementPolicySchema,
    rateLimitPerSecond: z.number().int().nullable().describe('/verify + /settle requests per second set by the operator; null = the deployment default, 0 = unlimited'),
    createdAt: isoString,
    updatedAt: isoString,
  })
  .openapi('Merchant');

export const PayToSchema = z
  .object({
    address: z.string().describe('EVM: EIP-55 checksummed; Solana: base58 as added'),
    status: z.enum(['active', 'retired']),
    createdAt: isoString,
    retiredAt: isoString.nullable(),
  })
  .openapi('PayTo');

type _Checks = [
  Check<Documents<typeof SettlementPolicySchema, SettlementPolicyView>>,
  Check<Documents<typeof MerchantSchema, MerchantView>>,
  Check<Documents<typeof PayToSchema, PayToView>>,
];

/** Documents `/v1/merchant`, `/v1/merchant/settlement-policy` and `/v1/merchant/pay-to`. */
export const merchantSettingsDocs: RouteDocs = (r: OpenAPIRegistry) => {
  r.registerPath({ method: 'get', path: '/v1/merchant', responses: { 200: json('The merchant and its settlement policy', MerchantSchema), ...errors([401]) } });
  r.registerPath({
    method: 'patch',
    path: '/v1/merchant/settlement-policy',
   
    request: { body: jsonBody(policyPatch) },
    responses: { 200: json('The policy now in force', SettlementPolicySchema), ...errors([400, 401, 415]) },
  });
  r.registerPath({ method: 'get', path: '/v1/merchant/pay-to', responses: { 200: json('The payTo addresses the merchant owns', dataList(PayToSchema)), ...errors([401]) } });
  r.registerPath({
    method: 'post',
    path: '/v1/merchant/pay-to',
   
    request: { body: jsonBody(payToBody) },
    responses: {
      201: json('Added, or a retired address brought back', PayToSchema),
      200: json('Already active: unchanged', PayToSchema),
      ...errors([400, 401, 409, 415], { 409: 'The address belongs to another merchant' }),
    },
  });
  r.registerPath({
    method: 'delete',
    path: '/v1/merchant/pay-to/{address}',
   
    request: { params: z.object({ address: payToAddress }) },
    responses: { 200: json('The retired address', PayToSchema), ...errors([400, 401, 404], { 404: 'Not one of the merchant’s addresses' }) },
  });
};
