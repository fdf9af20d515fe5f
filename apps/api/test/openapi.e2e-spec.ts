import SwaggerParser from '@apidevtools/swagger-parser';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { adminCall, createAdminToken, FacilitatorFixture, startFacilitator } from '@tollgate/testing';
import { buildOpenApiDocument } from '../src/openapi/document';

/** A route as Nest registered it, and what its handler reads. */
interface NestRoute {
  key: string;
  method: string;
  path: string;
  body: boolean;
  query: boolean;
  params: string[];
  /** The status Nest answers with unless the handler sets one (`@HttpCode`, else 201 for POST, 200). */
  status: number;
  /** The handler injects the response (`@Res`) and may set the status itself. */
  ownsResponse: boolean;
  guarded: boolean;
}

const join = (...parts: string[]): string => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/**
 * Every route of every controller Nest registered, from Nest's own metadata, except controllers and
 * handlers excluded from the document (`@ApiExcludeController`: the console's HTML pages).
 */
function nestRoutes(app: INestApplication): NestRoute[] {
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctrl || (Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, ctrl) as boolean[] | undefined)?.[0]) continue;
      const bases = [Reflect.getMetadata(PATH_METADATA, ctrl) as string | string[]].flat();
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        const handler = (ctrl.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined || (Reflect.getMetadata(DECORATORS.API_EXCLUDE_ENDPOINT, handler) as { disable?: boolean } | undefined)?.disable) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, ctrl, name) ?? {}) as Record<string, { data?: unknown }>).map(([k, v]) => ({
          type: Number(k.split(':')[0]),
          data: v.data,
        }));
        const has = (t: RouteParamtypes) => args.some((a) => a.type === t);
        const guards = [...((Reflect.getMetadata(GUARDS_METADATA, ctrl) as unknown[]) ?? []), ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? [])];
        for (const base of bases) {
          for (const p of [paths].flat()) {
            const path = join(base ?? '', p).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
            routes.push({
              key: `${method} ${path}`,
              method: method.toLowerCase(),
              path,
              body: has(RouteParamtypes.BODY),
              query: has(RouteParamtypes.QUERY),
              params: args.filter((a) => a.type === RouteParamtypes.PARAM).map((a) => String(a.data)),
              status: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'POST' ? 201 : 200),
              ownsResponse: has(RouteParamtypes.RESPONSE),
              guarded: guards.some((g) => /Auth/.test((g as { name?: string }).name ?? '')),
            });
          }
        }
      }
    }
  }
  return routes;
}

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> }; webhooks?: Record<string, any> };

/** Follows a `#/components/...` reference. */
function deref(doc: Doc, schema: any): any {
  return schema?.$ref ? deref(doc, schema.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], doc)) : schema;
}

describe('OpenAPI document (/docs-json)', () => {
  let f: FacilitatorFixture;
  let doc: Doc;
  let routes: NestRoute[];
  let ajv: Ajv2020;

  beforeAll(async () => {
    f = await startFacilitator({}, 41);
    const res = await fetch(`${f.api.baseUrl}/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
    routes = nestRoutes(f.api.app);
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: doc.components });
  });
  afterAll(() => f?.stop());

  /** Validates a live answer against the documented response schema of `method path` for `status`. */
  function expectDocumented(method: string, path: string, status: number, body: unknown): void {
    const schema = doc.paths[path][method].responses[String(status)].content['application/json'].schema;
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/')));
    expect({ valid: validate(body), errors: validate.errors }).toEqual({ valid: true, errors: null });
  }

  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect((doc as any).openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as any)).resolves.toBeDefined();
  });

  it('documents every route Nest registers from zod, and only those', () => {
    const { documented, unmatched } = buildOpenApiDocument(f.api.app);
    expect(unmatched).toEqual([]);
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((r) => r.key).filter((k) => !documented.has(k))).toEqual([]);
    const served = new Set(routes.map((r) => r.key));
    const inDoc = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`));
    expect(inDoc.filter((k) => !served.has(k))).toEqual([]);
  });

  it('gives every route schemas for what it reads and for its success answer', () => {
    const problems: string[] = [];
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method];
      if (!op) {
        problems.push(`${r.key}: not in the document`);
        continue;
      }
      const params: Array<{ in: string; name: string; schema?: unknown }> = op.parameters ?? [];
      if (r.body && !Object.values(op.requestBody?.content ?? {}).some((c: any) => c.schema)) problems.push(`${r.key}: body without a schema`);
      if (r.query && !params.some((p) => p.in === 'query')) problems.push(`${r.key}: query without parameters`);
      for (const p of params) if (!p.schema) problems.push(`${r.key}: parameter ${p.name} without a schema`);
      for (const name of r.params) if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${r.key}: path parameter ${name} undocumented`);
      const responses: Record<string, any> = op.responses ?? {};
      const success = Object.keys(responses).filter((s) => /^2/.test(s));
      if (!success.length) problems.push(`${r.key}: no success response`);
      if (!r.ownsResponse && !responses[String(r.status)]) problems.push(`${r.key}: answers ${r.status}, which is undocumented`);
      for (const s of success) {
        if (s !== '204' && !Object.values(responses[s].content ?? {}).some((c: any) => c.schema)) problems.push(`${r.key}: ${s} without a schema`);
      }
      if ((r.body || r.query || r.params.length) && !responses['400']) problems.push(`${r.key}: reads input but documents no 400`);
      if (r.guarded && !responses['401']) problems.push(`${r.key}: authenticated but documents no 401`);
      for (const [s, res] of Object.entries(responses)) {
        if (/^[45]/.test(s) && !Object.values((res as any).content ?? {}).some((c: any) => c.schema)) problems.push(`${r.key}: ${s} without a schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('/settle answers with the x402 SettleResponse; /verify takes v1 and v2 bodies with EVM and Solana payloads', () => {
    const settle = deref(doc, doc.paths['/settle'].post.responses['200'].content['application/json'].schema);
    expect(Object.keys(settle.properties)).toEqual(expect.arrayContaining(['success', 'transaction', 'network', 'payer', 'errorReason', 'extensions']));
    expect(settle.required).toEqual(expect.arrayContaining(['success', 'transaction', 'network']));
    expect(doc.paths['/settle'].post.responses['400'].content['application/json'].schema).toBeDefined();
    expect(doc.paths['/settle'].post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'x-tollgate-settlement-mode' })]));
    const request = JSON.stringify(deref(doc, doc.paths['/verify'].post.requestBody.content['application/json'].schema));
    for (const key of ['maxAmountRequired', 'accepted', 'authorization', 'validBefore', 'transaction', 'signature']) expect(request).toContain(`"${key}"`);
    expect(Object.keys(doc.paths['/verify'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '415', '429']));
  });

  it('documents the webhook payloads (OpenAPI 3.1 webhooks)', () => {
    expect(Object.keys(doc.webhooks ?? {})).toEqual(expect.arrayContaining(['payment', 'settlement', 'webhook_endpoint.disabled', 'webhook.test']));
    const body = deref(doc, doc.webhooks!.payment.post.requestBody.content['application/json'].schema);
    expect(body.properties.type.enum).toEqual(expect.arrayContaining(['payment.queued', 'payment.confirmed', 'payment.reorged']));
    expect(Object.keys(deref(doc, body.properties.data).properties)).toEqual(expect.arrayContaining(['reference', 'amount', 'transaction', 'logIndex']));
  });

  it('live answers match their documented schemas', async () => {
    const auth = { authorization: `Bearer ${f.apiKey}` };
    const get = async (path: string) => {
      const res = await fetch(`${f.api.baseUrl}${path}`, { headers: auth });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const body = await f.validBody();
    const verified = await f.verify(body);
    expectDocumented('post', '/verify', verified.status, verified.body);
    const settled = await f.settle(body);
    expect(settled.body.success).toBe(true);
    expectDocumented('post', '/settle', settled.status, settled.body);
    const refused = await f.settle({ x402Version: 2 });
    expectDocumented('post', '/settle', refused.status, refused.body);
    const reference = settled.body.extensions.tollgate.reference as string;
    for (const path of ['/supported', '/v1/merchant', '/v1/merchant/pay-to', '/v1/merchant/api-keys', '/v1/merchant/payments', `/v1/merchant/payments/${reference}`, '/health']) {
      const res = await get(path);
      expectDocumented('get', path.replace(reference, '{reference}'), res.status, res.body);
    }
    const publicStatus = await get(`/v1/payments/${reference}/status`);
    expectDocumented('get', '/v1/payments/{reference}/status', publicStatus.status, publicStatus.body);
    const bad = await get('/v1/merchant/payments?limit=0');
    expectDocumented('get', '/v1/merchant/payments', bad.status, bad.body);
    expect(bad.status).toBe(400);
  });

  it('live admin API answers match their documented schemas', async () => {
    const bearer = await createAdminToken(f, 'operator');
    const call = (path: string, opts: Parameters<typeof adminCall>[2] = {}) => adminCall(f.api.baseUrl, path, { bearer, ...opts });
    const settled = await f.settle(await f.validBody());
    const reference = settled.body.extensions.tollgate.reference as string;
    const merchants = await call('/admin/api/merchants');
    const reads: Array<[string, string]> = [
      ['/me', '/me'],
      ['/overview', '/overview'],
      ['/payments', '/payments'],
      [`/payments/${reference}`, '/payments/{ref}'],
      ['/batches', '/batches'],
      ['/failures', '/failures'],
      ['/webhooks/deliveries', '/webhooks/deliveries'],
      ['/merchants', '/merchants'],
      [`/merchants/${f.merchantId}`, '/merchants/{id}'],
      ['/audit', '/audit'],
    ];
    for (const [path, documented] of reads) {
      const res = await call(`/admin/api${path}`);
      expectDocumented('get', `/admin/api${documented}`, res.status, res.body);
    }
    expect(merchants.body.length).toBeGreaterThan(0);
    const lane = `/admin/api/lanes/${f.api.config.networks[0].network}/${f.api.chain.deployment.token.address}`;
    const paused = await call(`${lane}/pause`, { method: 'POST', body: { reason: 'openapi test' } });
    expectDocumented('post', '/admin/api/lanes/{network}/{asset}/pause', paused.status, paused.body);
    const refused = await call(`${lane}/flush`, { method: 'POST' });
    expectDocumented('post', '/admin/api/lanes/{network}/{asset}/flush', refused.status, refused.body);
    expect(refused.status).toBe(409);
    const created = await call('/admin/api/merchants', { method: 'POST', body: { name: 'Documented', payTo: ['0x000000000000000000000000000000000000dEaD'] } });
    expectDocumented('post', '/admin/api/merchants', created.status, created.body);
  });
});
