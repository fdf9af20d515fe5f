/**
 * {@link parseFacilitatorRequest}: turns a `/verify` or `/settle` body into a {@link NormalizedPayment} or
 * says precisely why it cannot. The envelope (versions, requirements, payload, extensions) is the same for
 * every chain family; the scheme payload is read by the family's parser (payloads.ts).
 */
import { namespaceOf } from './mechanism';
import { defaultNetworkRegistry, NetworkRegistry } from './networks';
import { check, describe, isObject, malformed, type Checked, type JsonObject, type ParseResult, type Unsupported } from './parse-support';
import { PAYLOAD_PARSERS, type SchemePayloadParser } from './payloads';
import { ReasonCode } from './reason-codes';
import { PAYMENT_IDENTIFIER_EXTENSION, PaymentPayloadV1Schema, PaymentPayloadV2Schema, PaymentRequirementsV1Schema, PaymentRequirementsV2Schema } from './schemas';
import type { NormalizedPayment } from './types';

export type { ParseResult } from './parse-support';

/** payment-identifier extension: 16–128 chars of `[A-Za-z0-9_-]` (specs/extensions/payment_identifier.md). */
const PAYMENT_ID_RE = /^[A-Za-z0-9_-]{16,128}$/;

// ---------------------------------------------------------------------------------------------
// parseFacilitatorRequest
// ---------------------------------------------------------------------------------------------

/** Options for {@link parseFacilitatorRequest}. */
export interface ParseOptions {
  /** Registry deciding which networks are served; the process-wide default when omitted. */
  networks?: NetworkRegistry;
}

/** The payer a raw payload names, by whichever family's format it has; used to fill `payer` on refusals. */
function payerOf(payload: unknown): string | undefined {
  for (const parser of PAYLOAD_PARSERS.values()) {
    const payer = parser.payerOf(payload);
    if (payer !== undefined) return payer;
  }
  return undefined;
}

/**
 * The payload parser of a network's family: by its CAIP-2 form, or — v1 only, where networks have names —
 * by the registry for a v1 name.
 */
function familyOf(network: string, networks: NetworkRegistry, version: 1 | 2): SchemePayloadParser | undefined {
  const direct = [...PAYLOAD_PARSERS.values()].find((p) => p.isNetworkId(network));
  if (direct || version === 2) return direct;
  const caip2 = networks.toCaip2(network);
  return caip2 === undefined ? undefined : PAYLOAD_PARSERS.get(namespaceOf(caip2));
}

function unsupported(
  reason: ReasonCode,
  message: string,
  requirements: JsonObject,
  payload: JsonObject,
): Unsupported {
  const result: Unsupported = { kind: 'unsupported', reason, message };
  if (typeof requirements.network === 'string') result.network = requirements.network;
  const payer = payerOf(payload.payload);
  if (payer !== undefined) result.payer = payer;
  return result;
}

/**
 * Reads the payment-identifier id from v2 `extensions`. Absent extension or absent id → `undefined`.
 * A present but malformed id is refused rather than ignored: silently dropping an idempotency key
 * would turn a client's safe retry into a second payment attempt.
 */
function paymentIdentifierOf(extensions: JsonObject | undefined): Checked<string | undefined> {
  const ext = extensions?.[PAYMENT_IDENTIFIER_EXTENSION];
  const base = `paymentPayload.extensions.${PAYMENT_IDENTIFIER_EXTENSION}`;
  const fail = (field: string, message: string): Checked<never> => ({ ok: false, error: malformed(field, message) });
  if (ext === undefined || ext === null) return { ok: true, value: undefined };
  if (!isObject(ext)) return fail(base, `expected an object {info, schema}, received ${describe(ext)}`);
  const info = ext.info;
  if (!isObject(info)) {
    return fail(`${base}.info`, info === undefined ? 'missing; expected an object' : `expected an object, received ${describe(info)}`);
  }
  const id = info.id;
  if (id === undefined || id === null) {
    return info.required === true
      ? fail(`${base}.info.id`, 'missing; the payment-identifier extension is marked required')
      : { ok: true, value: undefined };
  }
  if (typeof id !== 'string' || !PAYMENT_ID_RE.test(id)) {
    return fail(`${base}.info.id`, 'expected 16 to 128 characters of A-Z, a-z, 0-9, "-" or "_"');
  }
  return { ok: true, value: id };
}

/** Deepest nesting accepted inside a request part (the API refuses deeper bodies before parsing gets here). */
export const MAX_REQUEST_DEPTH = 32;

/**
 * First string or key holding U+0000 (Postgres text and jsonb cannot store it) or container nested deeper
 * than {@link MAX_REQUEST_DEPTH}, as a dotted path under `root`. Iterative: the input's depth is the sender's.
 */
function unstorableIn(value: unknown, root: string): { field: string; problem: string } | undefined {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: root, depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: path, problem: 'contains a NUL character' };
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_REQUEST_DEPTH) return { field: path, problem: `is nested deeper than ${MAX_REQUEST_DEPTH} levels` };
      const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for (const [k, x] of entries) {
        if (typeof k === 'string' && k.includes('\u0000')) return { field: path, problem: 'has a key containing a NUL character' };
        stack.push({ v: x, path: typeof k === 'number' ? `${path}[${k}]` : `${path}.${k}`, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function parseUnchecked(body: unknown, networks: NetworkRegistry): ParseResult {
  // Phase 1: envelope and version. The version picks the schema, so it is settled first.
  if (!isObject(body)) return malformed('$', `expected a JSON object, received ${describe(body)}`);
  const version = body.x402Version;
  if (typeof version !== 'number') {
    return malformed(
      'x402Version',
      version === undefined ? 'missing; expected the x402 version number (1 or 2)' : `expected a number, received ${describe(version)}`,
    );
  }
  const pp = body.paymentPayload;
  if (!isObject(pp)) {
    return malformed('paymentPayload', pp === undefined ? 'missing; expected an object' : `expected an object, received ${describe(pp)}`);
  }
  const pr = body.paymentRequirements;
  if (!isObject(pr)) {
    return malformed(
      'paymentRequirements',
      pr === undefined ? 'missing; expected an object' : `expected an object, received ${describe(pr)}`,
    );
  }
  if (typeof pp.x402Version !== 'number') {
    return malformed(
      'paymentPayload.x402Version',
      pp.x402Version === undefined ? 'missing; expected the x402 version number' : `expected a number, received ${describe(pp.x402Version)}`,
    );
  }
  if (version !== 1 && version !== 2) {
    return unsupported(ReasonCode.InvalidX402Version, `x402Version ${version} is not supported; use 1 or 2`, pr, pp);
  }
  if (pp.x402Version !== version) {
    return unsupported(
      ReasonCode.InvalidX402Version,
      `paymentPayload.x402Version ${pp.x402Version} disagrees with x402Version ${version}`,
      pr,
      pp,
    );
  }

  // Phase 1 (cont.): version-specific shape of requirements and payload, chain-agnostic.
  let common: {
    scheme: string;
    network: string;
    amount: string;
    asset: string;
    payTo: string;
    maxTimeoutSeconds: number;
    extra: Record<string, unknown> | undefined;
    payloadScheme: string;
    payloadNetwork: string;
    payload: JsonObject;
    resource: string | undefined;
    paymentIdentifier: string | undefined;
    accepted: { asset: string; payTo: string; network: string } | undefined;
  };
  if (version === 1) {
    const r = check(PaymentRequirementsV1Schema, pr, 'paymentRequirements');
    if (!r.ok) return r.error;
    const p = check(PaymentPayloadV1Schema, pp, 'paymentPayload');
    if (!p.ok) return p.error;
    const [reqs, payload] = [r.value, p.value];
    common = {
      scheme: reqs.scheme,
      network: reqs.network,
      amount: reqs.maxAmountRequired,
      asset: reqs.asset,
      payTo: reqs.payTo,
      maxTimeoutSeconds: reqs.maxTimeoutSeconds,
      extra: reqs.extra,
      payloadScheme: payload.scheme,
      payloadNetwork: payload.network,
      payload: payload.payload,
      resource: reqs.resource === '' ? undefined : reqs.resource,
      paymentIdentifier: undefined,
      accepted: undefined,
    };
  } else {
    const r = check(PaymentRequirementsV2Schema, pr, 'paymentRequirements');
    if (!r.ok) return r.error;
    const p = check(PaymentPayloadV2Schema, pp, 'paymentPayload');
    if (!p.ok) return p.error;
    const id = paymentIdentifierOf(p.value.extensions);
    if (!id.ok) return id.error;
    const [reqs, payload, paymentIdentifier] = [r.value, p.value, id.value];
    common = {
      scheme: reqs.scheme,
      network: reqs.network,
      amount: reqs.amount,
      asset: reqs.asset,
      payTo: reqs.payTo,
      maxTimeoutSeconds: reqs.maxTimeoutSeconds,
      extra: reqs.extra,
      payloadScheme: payload.accepted.scheme,
      payloadNetwork: payload.accepted.network,
      payload: payload.payload,
      resource: payload.resource?.url || undefined,
      paymentIdentifier,
      accepted: payload.accepted,
    };
  }

  // Phase 2: what Tollgate serves. Scheme and network come from the resource server's requirements;
  // the payload's own claims are kept raw for the verifier's mismatch checks.
  if (common.scheme !== 'exact') {
    return unsupported(
      ReasonCode.UnsupportedScheme,
      `scheme ${JSON.stringify(common.scheme)} is not supported; Tollgate settles only "exact"`,
      pr,
      pp,
    );
  }
  const family = familyOf(common.network, networks, version);
  if (version === 2 && family === undefined) {
    return unsupported(
      ReasonCode.InvalidNetwork,
      `network ${JSON.stringify(common.network)} is not served; x402 v2 expects a CAIP-2 id such as "eip155:8453"`,
      pr,
      pp,
    );
  }
  const network = networks.toCaip2(common.network);
  if (network === undefined || !networks.has(network) || family === undefined) {
    return unsupported(ReasonCode.InvalidNetwork, `network ${JSON.stringify(common.network)} is not served by this facilitator`, pr, pp);
  }

  // Phase 2 (cont.): the family's formats of asset, payTo and payload, meaningful only now the network is known.
  const scheme = family.parse({
    asset: common.asset,
    payTo: common.payTo,
    payload: common.payload,
    accepted: common.accepted && networks.toCaip2(common.accepted.network) !== undefined ? common.accepted : undefined,
  });
  if (!scheme.ok) return 'unsupported' in scheme ? unsupported(scheme.unsupported.reason, scheme.unsupported.message, pr, pp) : scheme.error;
  // Free-form parts (`extra`, `extensions`, `resource`, …) are stored as jsonb/text: refuse now what the
  // database never could, so such a request is an answer (isValid: false), not a failed query.
  const unstorable = unstorableIn(pr, 'paymentRequirements') ?? unstorableIn(pp, 'paymentPayload');
  if (unstorable) {
    const reason = unstorable.field.startsWith('paymentRequirements') ? ReasonCode.InvalidPaymentRequirements : ReasonCode.InvalidPayload;
    return unsupported(reason, `${unstorable.field}: ${unstorable.problem}`, pr, pp);
  }

  const payment: NormalizedPayment = {
    x402Version: version,
    scheme: common.scheme,
    network,
    payloadScheme: common.payloadScheme,
    payloadNetwork: common.payloadNetwork,
    asset: scheme.value.asset,
    amount: BigInt(common.amount),
    payTo: scheme.value.payTo,
    maxTimeoutSeconds: common.maxTimeoutSeconds,
    extra: common.extra ?? {},
    payload: scheme.value.payload,
  };
  if (scheme.value.payer !== undefined) payment.payer = scheme.value.payer;
  if (common.paymentIdentifier !== undefined) payment.paymentIdentifier = common.paymentIdentifier;
  if (common.resource !== undefined) payment.resource = common.resource;
  return { kind: 'ok', payment };
}

/**
 * Parses a `POST /verify` or `POST /settle` body (x402 spec v1 §7.1, v2 §7.1–7.2) of either version.
 *
 * Order: body and `x402Version`s; requirements then payload shape (v1 or v2); scheme `exact` and a
 * served network; EVM formats of `asset`/`payTo`; the EIP-3009 payload (only once scheme is
 * `exact`). The first failure wins. Never throws, for any input.
 *
 * @param body the JSON-parsed request body, untrusted.
 * @returns see {@link ParseResult}.
 */
export function parseFacilitatorRequest(body: unknown, options: ParseOptions = {}): ParseResult {
  try {
    return parseUnchecked(body, options.networks ?? defaultNetworkRegistry);
  } catch (err) {
    // Unreachable by design (the property tests hunt for it); kept so a bug here can only ever
    // produce a 400, never a 500 that reference clients would treat as a facilitator outage.
    return malformed('$', `request could not be parsed (${err instanceof Error ? err.name : 'error'})`);
  }
}
