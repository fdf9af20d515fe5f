/** OpenAPI of the merchant's webhook endpoints, their deliveries, test sends and replays (webhook-endpoints.controller.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES } from '@tollgate/persistence';
import { cursorPage, dataList, errors, isoString, json, jsonBody, type Check, type Documents, type RouteDocs } from '../openapi/openapi-kit';
import { createBody, deliveriesQuery, replayBody, rotateBody, updateBody } from './webhook-endpoints.controller';
import type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView, WebhookEndpointWithSecret } from './webhook-views';
import { uuidParam } from './validation';

export const WebhookEndpointSchema = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    status: z.enum(['active', 'disabled']).describe('disabled after sustained failure (see disabledReason) or by the merchant; re-enable with PATCH enabled: true'),
    disabledAt: isoString.nullable(),
    disabledReason: z.string().nullable(),
    failingSince: isoString.nullable().describe('start of the current run of failed attempts; null while healthy'),
    lastSuccessAt: isoString.nullable(),
    lastFailureAt: isoString.nullable(),
    previousSecretExpiresAt: isoString.nullable().describe('while in the future, the previous secret signs too (rotation overlap)'),
    createdAt: isoString,
    updatedAt: isoString,
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('whsec_… (Standard Webhooks): shown in this answer only'),
}).openapi('WebhookEndpointWithSecret');

export const WebhookDeliverySchema = z
  .object({
    id: z.string().uuid(),
    endpointId: z.string().uuid(),
    eventType: z.string(),
    messageId: z.string().describe('the webhook-id header, stable across retries and replays'),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attemptCount: z.number().int(),
    nextAttemptAt: isoString.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    paymentReference: z.string().nullable(),
    occurredAt: isoString,
    replayOf: z.string().uuid().nullable(),
    createdAt: isoString,
    completedAt: isoString.nullable(),
  })
  .openapi('WebhookDelivery');

export const WebhookAttemptSchema = z
  .object({
    attempt: z.number().int(),
    startedAt: isoString,
    statusCode: z.number().int().nullable(),
    latencyMs: z.number(),
    responseBody: z.string().nullable().describe("first 1024 characters of the receiver's answer"),
    error: z.string().nullable(),
  })
  .openapi('WebhookAttempt');

type _Checks = [
  Check<Documents<typeof WebhookEndpointSchema, WebhookEndpointView>>,
  Check<Documents<typeof WebhookEndpointWithSecretSchema, WebhookEndpointWithSecret>>,
  Check<Documents<typeof WebhookDeliverySchema, WebhookDeliveryView>>,
  Check<Documents<typeof WebhookAttemptSchema, WebhookAttemptView>>,
];

const BASE = '/v1/merchant/webhook-endpoints';
const idPath = z.object({ id: uuidParam });
const deliveryPath = z.object({ id: uuidParam, deliveryId: uuidParam });
const deliveryRef = z.object({ deliveryId: z.string().uuid() });
const notFound = { 404: 'No such endpoint (or delivery) of this merchant' };

/** Documents `/v1/merchant/webhook-endpoints…`. */
export const webhookEndpointsDocs: RouteDocs = (r: OpenAPIRegistry) => {
  r.registerPath({
    method: 'post',
    path: BASE,
    request: { body: jsonBody(createBody) },
    responses: {
      201: json('The endpoint with its signing secret', WebhookEndpointWithSecretSchema),
      ...errors([400, 401, 409, 415], { 400: 'Bad field (`field` names it), e.g. a URL that is not https or resolves to a private address', 409: 'Already 20 endpoints' }),
    },
  });
  r.registerPath({ method: 'get', path: BASE, responses: { 200: json('Every endpoint with its status', dataList(WebhookEndpointSchema)), ...errors([401]) } });
  r.registerPath({ method: 'get', path: `${BASE}/{id}`, request: { params: idPath }, responses: { 200: json('The endpoint', WebhookEndpointSchema), ...errors([400, 401, 404], notFound) } });
  r.registerPath({
    method: 'patch',
    path: `${BASE}/{id}`,
    request: { params: idPath, body: jsonBody(updateBody) },
    responses: { 200: json('The endpoint as changed', WebhookEndpointSchema), ...errors([400, 401, 404, 415], notFound) },
  });
  r.registerPath({ method: 'delete', path: `${BASE}/{id}`, request: { params: idPath }, responses: { 204: { description: 'Deleted; its pending deliveries fail, the log stays' }, ...errors([400, 401, 404], notFound) } });
  r.registerPath({
    method: 'post',
    path: `${BASE}/{id}/rotate-secret`,
    request: { params: idPath, body: jsonBody(rotateBody, false) },
    responses: { 201: json('The endpoint with the new secret and previousSecretExpiresAt', WebhookEndpointWithSecretSchema), ...errors([400, 401, 404, 415], notFound) },
  });
  r.registerPath({
    method: 'post',
    path: `${BASE}/{id}/test`,
    request: { params: idPath },
    responses: { 202: json('A webhook.test delivery was queued; follow it under /deliveries/{deliveryId}', deliveryRef), ...errors([400, 401, 404], notFound) },
  });
  r.registerPath({
    method: 'get',
    path: `${BASE}/{id}/deliveries`,
    request: { params: idPath, query: deliveriesQuery },
    responses: { 200: json('Deliveries, newest event first', cursorPage(WebhookDeliverySchema)), ...errors([400, 401, 404], notFound) },
  });
  r.registerPath({
    method: 'get',
    path: `${BASE}/{id}/deliveries/{deliveryId}`,
    request: { params: deliveryPath },
    responses: {
      200: json('The delivery, the body it sends (see the webhooks section) and every attempt', WebhookDeliverySchema.extend({ payload: z.unknown(), attempts: z.array(WebhookAttemptSchema) })),
      ...errors([400, 401, 404], notFound),
    },
  });
  r.registerPath({
    method: 'post',
    path: `${BASE}/{id}/deliveries/{deliveryId}/replay`,
    request: { params: deliveryPath },
    responses: { 202: json('The new delivery (same webhook-id and body)', deliveryRef), ...errors([400, 401, 404, 409], { ...notFound, 409: 'The endpoint is disabled' }) },
  });
  r.registerPath({
    method: 'post',
    path: `${BASE}/{id}/replay`,
    request: { params: idPath, body: jsonBody(replayBody) },
    responses: {
      202: json('Deliveries sent again (at most 1000 per call)', z.object({ replayed: z.number().int(), deliveryIds: z.array(z.string().uuid()) })),
      ...errors([400, 401, 404, 409, 415], { ...notFound, 409: 'The endpoint is disabled' }),
    },
  });
};
