/**
 * OpenAPI of the admin API (admin-api.controller.ts): request schemas are admin-input.ts's, responses
 * admin-api.schemas.ts's. The console's HTML pages and Bull Board are left out of the document.
 */
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errors, json, jsonBody, type RouteDocs } from '../openapi/openapi-kit';
import {
  assetParam,
  auditQuery,
  batchesQuery,
  createMerchantBody,
  deliveriesQuery,
  failuresQuery,
  idParam,
  issueMerchantKeyBody,
  networkParam,
  paymentRefParam,
  paymentsQuery,
  reasonBody,
} from './admin-input';
import {
  AdminActionResultSchema,
  AdminAuditRowSchema,
  AdminBatchDetailSchema,
  AdminBatchRowSchema,
  AdminCreatedMerchantSchema,
  AdminDeliveryRowSchema,
  AdminFailuresSchema,
  AdminMeSchema,
  AdminMerchantDetailSchema,
  AdminMerchantRowSchema,
  AdminOperatorActionSchema,
  AdminOverviewSchema,
  AdminPaymentDetailSchema,
  AdminPaymentPageSchema,
  AdminRequestedActionSchema,
} from './admin-api.schemas';

const BASE = '/admin/api';
const refPath = z.object({ ref: paymentRefParam });
const idPath = z.object({ id: idParam });
const lanePath = z.object({ network: networkParam, asset: assetParam });

/** Every admin route: 401 without an admin token or session (merchant keys included). */
const read = (codes: number[] = []) => errors([401, ...codes], { 401: 'Not an admin API token (tga_…) or admin session; merchant keys are refused' });
/** Actions also need the operator role, and with a session cookie the x-csrf-token header. */
const act = (codes: number[]) => read([403, ...codes]);

/** 200 with the worker's outcome, or 202 while it has not answered within ADMIN_ACTION_WAIT_MS. */
const workerAction: Record<number, ResponseConfig> = {
  200: json('The worker carried it out (`status: succeeded`)', AdminRequestedActionSchema),
  202: json('Requested; the worker has not answered yet (`status: requested`): follow actionId', AdminRequestedActionSchema),
};

/** Documents `/admin/api/…`. */
export const adminApiDocs: RouteDocs = (r: OpenAPIRegistry) => {
  const get = (path: string, description: string, schema: z.ZodTypeAny, request: { query?: z.AnyZodObject; params?: z.AnyZodObject } = {}, codes: number[] = []) =>
    r.registerPath({ method: 'get', path: `${BASE}${path}`, request, responses: { 200: json(description, schema), ...read(codes) } });

  get('/me', 'The caller', AdminMeSchema);
  get('/csrf', 'A CSRF token bound to the session (send it as x-csrf-token on unsafe methods)', z.object({ csrfToken: z.string() }));
  get('/overview', 'Lanes, relayers, last hour and day totals', AdminOverviewSchema);
  get('/payments', 'A page of payments, newest first', AdminPaymentPageSchema, { query: paymentsQuery }, [400]);
  get('/payments/{ref}', 'One payment with its history, batches, transactions and deliveries', AdminPaymentDetailSchema, { params: refPath }, [400, 404]);
  get('/batches', 'Batches, newest first', z.array(AdminBatchRowSchema), { query: batchesQuery }, [400]);
  get('/batches/{id}', 'One batch: rows with their outcome, gas, every transaction', AdminBatchDetailSchema, { params: idPath }, [400, 404]);
  get('/actions/{id}', 'One operator action carried out by the worker', AdminOperatorActionSchema, { params: idPath }, [400, 404]);
  get('/failures', 'Failures grouped by reason, hourly counts', AdminFailuresSchema, { query: failuresQuery }, [400]);
  get('/webhooks/deliveries', 'Webhook deliveries with their attempts', z.array(AdminDeliveryRowSchema), { query: deliveriesQuery }, [400]);
  get('/merchants', 'Every merchant', z.array(AdminMerchantRowSchema));
  get('/merchants/{id}', 'One merchant with its webhook endpoints', AdminMerchantDetailSchema, { params: idPath }, [400, 404]);
  get('/audit', 'Audit log, newest first', z.array(AdminAuditRowSchema), { query: auditQuery }, [400]);

  r.registerPath({ method: 'post', path: `${BASE}/payments/{ref}/retry`, request: { params: refPath }, responses: { ...workerAction, ...act([400, 404, 409]) } });
  r.registerPath({
    method: 'post',
    path: `${BASE}/payments/{ref}/void`,
    request: { params: refPath, body: jsonBody(reasonBody, false) },
    responses: { ...workerAction, ...act([400, 404, 409]) },
  });
  r.registerPath({ method: 'post', path: `${BASE}/batches/{id}/replace`, request: { params: idPath }, responses: { ...workerAction, ...act([400, 404, 409]) } });

  const lane = (verb: string, description: string, withReason = false) =>
    r.registerPath({
      method: 'post',
      path: `${BASE}/lanes/{network}/{asset}/${verb}`,
      request: { params: lanePath, ...(withReason ? { body: jsonBody(reasonBody, false) } : {}) },
      responses: { 200: json(description, AdminActionResultSchema), ...act([400, 404, 409]) },
    });
  lane('pause', 'Paused: no new batches', true);
  lane('resume', 'Resumed');
  lane('flush', 'Flushed on the next scheduler tick');

  r.registerPath({
    method: 'post',
    path: `${BASE}/webhooks/deliveries/{id}/replay`,
    request: { params: idPath },
    responses: { 200: json('A new delivery with the same message id', AdminActionResultSchema.extend({ deliveryId: z.string().uuid() })), ...act([400, 404, 409]) },
  });
  r.registerPath({
    method: 'post',
    path: `${BASE}/merchants`,
    request: { body: jsonBody(createMerchantBody) },
    responses: { 201: json('The merchant; its API key is in this answer only', AdminCreatedMerchantSchema), ...act([400, 409]) },
  });
  r.registerPath({
    method: 'post',
    path: `${BASE}/merchants/{id}/api-keys`,
    request: { params: idPath, body: jsonBody(issueMerchantKeyBody, false) },
    responses: {
      201: json(
        'The new key; its secret is in this answer only (stored as SHA-256); audited as merchant.api_key.issue',
        AdminActionResultSchema.extend({
          merchantId: z.string().uuid(),
          keyId: z.string().uuid(),
          apiKey: z.string().describe('the secret, shown once'),
          apiKeyPrefix: z.string(),
        }),
      ),
      ...act([400, 404, 409]),
    },
  });
  for (const [verb, description] of [
    ['suspend', 'Suspended: its API keys stop authenticating'],
    ['activate', 'Active again'],
  ] as const) {
    r.registerPath({
      method: 'post',
      path: `${BASE}/merchants/{id}/${verb}`,
      request: { params: idPath },
      responses: { 200: json(description, AdminActionResultSchema), ...act([400, 404, 409]) },
    });
  }
};
