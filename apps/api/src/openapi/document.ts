/**
 * Builds the API's OpenAPI 3.1 document (`/docs`, `/docs-json`).
 *
 * Two sources, each for what it knows:
 * - Nest's swagger module walks the registered controllers: every route, its tags, summary and security
 *   (`@ApiTags`, `@ApiOperation`, `@ApiBearerAuth` on the controllers).
 * - The area files (`*.openapi.ts`, one per controller area, listed in {@link ROUTE_DOCS}) register each route's
 *   parameters, body and responses from the same zod schemas that validate the requests, plus the webhook
 *   payloads; `@asteasolutions/zod-to-openapi` turns them into OpenAPI.
 * {@link buildOpenApiDocument} merges the second into the first, operation by operation.
 */
import { INestApplication } from '@nestjs/common';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { adminApiDocs } from '../admin/admin-api.openapi';
import { facilitatorDocs } from '../facilitator/facilitator.openapi';
import { operationsDocs } from '../health/operations.openapi';
import { apiKeysDocs } from '../merchant-api/api-keys.openapi';
import { merchantPaymentsDocs } from '../merchant-api/merchant-payments.openapi';
import { merchantSettingsDocs } from '../merchant-api/merchant-settings.openapi';
import { webhookEndpointsDocs } from '../merchant-api/webhook-endpoints.openapi';
import { webhookEventsDocs } from '../merchant-api/webhook-events.openapi';
import type { RouteDocs } from './openapi-kit';

/** Every area's route documentation. A new controller area adds its `*.openapi.ts` here. */
export const ROUTE_DOCS: readonly RouteDocs[] = [
  facilitatorDocs,
  merchantSettingsDocs,
  apiKeysDocs,
  merchantPaymentsDocs,
  webhookEndpointsDocs,
  webhookEventsDocs,
  adminApiDocs,
  operationsDocs,
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The document, and which operations (`"POST /verify"`) the area files documented. */
export interface BuiltOpenApi {
  document: OpenAPIObject;
  /** Operations an area file documented (parameters, body and responses from zod). */
  documented: Set<string>;
  /** Operations an area file documented that Nest does not serve (a typo'd path or a removed route). */
  unmatched: string[];
}

type Operation = Record<string, unknown> & { parameters?: Array<{ in: string; name: string }> };

/** Builds the document for `app` (not listening); see the file comment. */
export function buildOpenApiDocument(app: INestApplication, routeDocs: readonly RouteDocs[] = ROUTE_DOCS): BuiltOpenApi {
  const base = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('Tollgate')
      .setDescription(
        'x402 payment facilitator with queued batch settlement. Parameters, bodies, responses and webhook payloads are generated from ' +
          'the zod schemas that validate them. The operator console pages (/admin/…) and Bull Board (/admin/queues) are not part of it.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  const registry = new OpenAPIRegistry();
  for (const docs of routeDocs) docs(registry);
  const generated = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: base.info.title, version: base.info.version } });

  const documented = new Set<string>();
  const unmatched: string[] = [];
  const paths = base.paths as Record<string, Record<string, Operation>>;
  for (const [path, item] of Object.entries(generated.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const target = paths[path]?.[method];
      if (!target) {
        unmatched.push(key);
        continue;
      }
      documented.add(key);
      // zod's parameters replace Nest's guesses of the same name (`@Param('id')` → a bare string).
      const params = new Map((target.parameters ?? []).map((p) => [`${p.in}:${p.name}`, p]));
      for (const p of op.parameters ?? []) params.set(`${p.in}:${p.name}`, p);
      const { parameters: _p, requestBody, responses, ...rest } = op;
      Object.assign(target, rest, { responses });
      if (params.size) target.parameters = [...params.values()];
      // A handler's `@Body() body: unknown` makes Nest guess a body; only the zod one stands.
      if (requestBody) target.requestBody = requestBody;
      else delete target.requestBody;
    }
  }
  // openapi3-ts (the generator's types) and @nestjs/swagger describe the same JSON with different types.
  const document = base;
  const schemas = generated.components?.schemas as NonNullable<OpenAPIObject['components']>['schemas'];
  const parameters = generated.components?.parameters as NonNullable<OpenAPIObject['components']>['parameters'];
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...schemas },
    ...(parameters && Object.keys(parameters).length ? { parameters } : {}),
  };
  if (generated.webhooks && Object.keys(generated.webhooks).length) Object.assign(document, { webhooks: generated.webhooks });
  return { document, documented, unmatched };
}
