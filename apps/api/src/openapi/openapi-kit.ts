/**
 * The small vocabulary every area's `*.openapi.ts` file uses to document its routes from the zod schemas
 * that validate them (see document.ts for how the pieces become `/docs-json`).
 *
 * - zod v3 schemas (merchant API, admin API) go to `@asteasolutions/zod-to-openapi` as they are;
 *   `.openapi('Name')` on a response schema makes it a named component.
 * - zod v4 schemas (`zod/v4`, the x402 wire types of @tollgate/protocol) are turned into JSON Schema by zod's
 *   own `toJSONSchema` ({@link v4Component}) and registered as named components.
 */
import { extendZodWithOpenApi, type OpenAPIRegistry, type ResponseConfig, type ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { toJSONSchema, type ZodType as Zod4Type } from 'zod/v4';

// Adds `.openapi()` to zod v3's schemas (metadata only: parsing is unchanged). Runs before any area file
// defines its response schemas, since they all import this module first.
extendZodWithOpenApi(z);

/** Documents one area's routes (one file per controller area) into the registry. */
export type RouteDocs = (registry: OpenAPIRegistry) => void;

/**
 * The body of every error outside `/verify` and `/settle` (common/http-exception.filter.ts). `field` names
 * the offending input of a 400 (a dotted path such as `eventTypes.0`, `query`, `cursor`, `content-type`).
 */
export const ErrorSchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string().describe('HTTP reason phrase, e.g. "Bad Request"'),
    message: z.string().describe('a sentence; for a 400 `"<field>: <problem>"`'),
    field: z.string().optional().describe('400/415: the offending input, as a dotted path'),
  })
  .openapi('Error');

/** What each documented error status means on this API (the description of the response). */
const ERROR_MEANING: Record<number, string> = {
  400: 'Bad input: `field` names the first offending value, `message` says why',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but not allowed (role or CSRF token)',
  404: 'No such resource (or not this caller’s)',
  409: 'Refused in the resource’s current state; `message` says why',
  413: 'Body larger than 64 kB',
  415: 'A body was sent without `content-type: application/json` (`field`: `content-type`)',
  429: 'Rate limited; retry after `Retry-After` seconds',
  503: 'A dependency is down',
};

const RETRY_AFTER = z.object({ 'retry-after': z.string().describe('seconds to wait') });

/** Error responses with the shared {@link ErrorSchema} body; `overrides` replaces a status's meaning. */
export function errors(codes: number[], overrides: Record<number, string> = {}): Record<number, ResponseConfig> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: overrides[code] ?? ERROR_MEANING[code] ?? 'Error',
        content: { 'application/json': { schema: ErrorSchema } },
        ...(code === 429 ? { headers: RETRY_AFTER } : {}),
      },
    ]),
  );
}

/** A JSON response (zod v3 schema, or a component ref from {@link v4Component}). */
export function json(description: string, schema: z.ZodTypeAny | { $ref: string }): ResponseConfig {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body. `required: false` for bodies that may be absent (`{}` is assumed then). */
export function jsonBody(schema: z.ZodTypeAny | { $ref: string }, required = true): ZodRequestBody {
  return { required, content: { 'application/json': { schema } } };
}

/** `{data: [item]}`, the envelope of the merchant API's lists. */
export function dataList<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item) });
}

/** `{data: [item], nextCursor}`: a cursor-paged list. */
export function cursorPage<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last') });
}

/** ISO-8601 time as the API writes it (`Date` serialized by JSON). */
export const isoString = z.string().datetime({ offset: true });

/**
 * Registers a zod v4 schema as component `name` (JSON Schema 2020-12, which OpenAPI 3.1 uses) and returns
 * its `$ref`. The input side of transforms is documented: it is what travels on the wire.
 */
export function v4Component(registry: OpenAPIRegistry, name: string, schema: Zod4Type): { $ref: string } {
  const { $schema: _dialect, ...jsonSchema } = toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return registry.registerComponent('schemas', name, jsonSchema).ref;
}

// The hand-written view interfaces stay what the services return; these checks make a response schema
// that documents another shape a compile error (used by the area files).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** `true` when the schema's output is exactly `T`. */
export type Documents<S extends z.ZodTypeAny, T> = Same<z.output<S>, T>;
/** Compile-time assertion helper: `type _ = Check<Documents<typeof S, View>>`. */
export type Check<T extends true> = T;
