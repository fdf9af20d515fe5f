/** OpenAPI of the merchant's API keys (api-keys.controller.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { dataList, errors, isoString, json, jsonBody, type Check, type Documents, type RouteDocs } from '../openapi/openapi-kit';
import { createBody } from './api-keys.controller';
import type { ApiKeyView, CreatedApiKey } from './api-keys.service';
import { uuidParam } from './validation';

export const ApiKeySchema = z
  .object({
    id: z.string().uuid(),
    prefix: z.string().describe('first characters of the secret, for recognition (e.g. tg_AbC123x)'),
    name: z.string().nullable(),
    status: z.enum(['active', 'revoked']),
    createdAt: isoString,
    revokedAt: isoString.nullable(),
    lastUsedAt: isoString.nullable().describe('last authenticated request, to about a minute; null = never used'),
  })
  .openapi('ApiKey');

export const CreatedApiKeySchema = ApiKeySchema.extend({ secret: z.string().describe('the API key itself: shown in this answer only') }).openapi('CreatedApiKey');

type _Checks = [Check<Documents<typeof ApiKeySchema, ApiKeyView>>, Check<Documents<typeof CreatedApiKeySchema, CreatedApiKey>>];

const idPath = z.object({ id: uuidParam });

/** Documents `/v1/merchant/api-keys…`. */
export const apiKeysDocs: RouteDocs = (r: OpenAPIRegistry) => {
  r.registerPath({ method: 'get', path: '/v1/merchant/api-keys', responses: { 200: json('Every key (never a secret)', dataList(ApiKeySchema)), ...errors([401]) } });
  r.registerPath({
    method: 'post',
    path: '/v1/merchant/api-keys',
    request: { body: jsonBody(createBody, false) },
    responses: { 201: json('The new key with its secret', CreatedApiKeySchema), ...errors([400, 401, 409, 415], { 409: 'Already 10 active keys' }) },
  });
  r.registerPath({
    method: 'delete',
    path: '/v1/merchant/api-keys/{id}',
    request: { params: idPath },
    responses: { 200: json('The revoked key', ApiKeySchema), ...errors([400, 401, 404, 409], { 409: 'The last active key, or already revoked' }) },
  });
  r.registerPath({
    method: 'post',
    path: '/v1/merchant/api-keys/{id}/rotate',
    request: { params: idPath },
    responses: {
      201: json('A new key (same name) with its secret; `replaced` is the key revoked in the same transaction', CreatedApiKeySchema.extend({ replaced: ApiKeySchema })),
      ...errors([400, 401, 404, 409], { 409: 'The key is already revoked' }),
    },
  });
};
