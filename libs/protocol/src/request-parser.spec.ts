import fc from 'fast-check';
import { NetworkRegistry } from './networks';
import { ReasonCode } from './reason-codes';
import { parseFacilitatorRequest, type ParseResult } from './request-parser';
import type { ExactEvmSchemePayload, NormalizedPayment } from './types';
import { buildFixture, cloneJson, randomHex, seededRng, v1Body, v2Body } from './testing/request-builders';

type Json = Record<string, unknown>;
/** A built body as a mutable JSON object (the wire interfaces have no index signature). */
const asJson = (body: object): Json => cloneJson(body) as Json;
const SEEDS = [1, 2, 3, 42, 1234, 99_999];

/** Sets (or, with `DELETE`, removes) the value at a dotted path, creating nothing on the way. */
const DELETE = Symbol('delete');
function mutate(body: unknown, path: string, value: unknown): Json {
  const copy = cloneJson(body) as Json;
  const keys = path.split('.');
  let node: Json = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Json;
  const last = keys[keys.length - 1];
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}

/** The EIP-3009 payload of a parsed EVM payment (the union also holds other families' payloads). */
function evmPayload(p: NormalizedPayment): ExactEvmSchemePayload {
  if (p.payload.family !== 'eip155') throw new Error(`expected an EVM payload, got ${p.payload.family}`);
  return p.payload;
}

function expectOk(r: ParseResult) {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.payment;
}

function expectMalformed(r: ParseResult, field: string) {
  expect(r).toMatchObject({ kind: 'malformed', field });
  if (r.kind !== 'malformed') throw new Error('unreachable');
  expect(r.message.length).toBeGreaterThan(5);
  return r;
}

describe('parseFacilitatorRequest: valid requests', () => {
  it.each(SEEDS)('normalizes a v1 body (seed %i)', (seed) => {
    const f = buildFixture(seededRng(seed));
    const p = expectOk(parseFacilitatorRequest(v1Body(f)));
    expect(p).toEqual({
      x402Version: 1,
      scheme: 'exact',
      network: 'eip155:84532',
      payloadScheme: 'exact',
      payloadNetwork: 'base-sepolia',
      asset: f.asset,
      amount: f.amount,
      payTo: f.payTo,
      maxTimeoutSeconds: f.maxTimeoutSeconds,
      extra: f.extra,
      resource: 'https://api.example.test/premium',
      payer: f.payer,
      payload: {
        family: 'eip155',
        signature: f.signature,
        authorization: {
          from: f.payer,
          to: f.payTo,
          value: f.amount,
          validAfter: f.validAfter,
          validBefore: f.validBefore,
          nonce: f.nonce,
        },
      },
    });
  });

  it.each(SEEDS)('normalizes a v2 body with a payment identifier (seed %i)', (seed) => {
    const rng = seededRng(seed);
    const f = buildFixture(rng);
    const id = `pay_${randomHex(rng, 16).slice(2)}`;
    const p = expectOk(parseFacilitatorRequest(v2Body(f, { network: 'eip155:8453', paymentIdentifier: id })));
    expect(p).toMatchObject({
      x402Version: 2,
      network: 'eip155:8453',
      payloadScheme: 'exact',
      payloadNetwork: 'eip155:8453',
      amount: f.amount,
      paymentIdentifier: id,
      resource: 'https://api.example.test/premium',
    });
    expect(evmPayload(p).authorization.validBefore).toBe(f.validBefore);
    expect(typeof p.amount).toBe('bigint');
  });

  it('omits paymentIdentifier when the extension carries no id', () => {
    const body = v2Body(buildFixture(seededRng(7)));
    body.paymentPayload.extensions = { 'payment-identifier': { info: { required: false }, schema: {} }, bazaar: 1 };
    const p = expectOk(parseFacilitatorRequest(body));
    expect('paymentIdentifier' in p).toBe(false);
  });

  it('maps v1 names and accepts CAIP-2 in v1', () => {
    const f = buildFixture(seededRng(8));
    expect(expectOk(parseFacilitatorRequest(v1Body(f, { network: 'base' }))).network).toBe('eip155:8453');
    expect(expectOk(parseFacilitatorRequest(v1Body(f, { network: 'eip155:31337' }))).network).toBe('eip155:31337');
  });

  it('accepts absent or null optional fields (Python and Go clients)', () => {
    const f = buildFixture(seededRng(9));
    let body: Json = asJson(v1Body(f));
    body = mutate(body, 'paymentRequirements.extra', null);
    body = mutate(body, 'paymentRequirements.outputSchema', null);
    body = mutate(body, 'paymentRequirements.mimeType', DELETE);
    body = mutate(body, 'paymentRequirements.description', DELETE);
    expect(expectOk(parseFacilitatorRequest(body)).extra).toEqual({});

    let v2: Json = asJson(v2Body(f));
    v2 = mutate(v2, 'paymentPayload.resource', null);
    v2 = mutate(v2, 'paymentPayload.extensions', null);
    v2 = mutate(v2, 'paymentRequirements.extra', DELETE);
    const p = expectOk(parseFacilitatorRequest(v2));
    expect(p.extra).toEqual({});
    expect(p.resource).toBeUndefined();
  });

  it('keeps unknown keys in extra and ignores them elsewhere', () => {
    const f = buildFixture(seededRng(10));
    let body: Json = asJson(v2Body(f));
    body = mutate(body, 'paymentRequirements.extra', { name: 'USDC', version: '2', assetTransferMethod: 'eip3009' });
    body = mutate(body, 'paymentRequirements.futureField', true);
    body = mutate(body, 'paymentPayload.payload.authorization.memo', 'x');
    body = mutate(body, 'extraTopLevel', 1);
    const p = expectOk(parseFacilitatorRequest(body));
    expect(p.extra).toEqual({ name: 'USDC', version: '2', assetTransferMethod: 'eip3009' });
    expect(evmPayload(p).authorization).not.toHaveProperty('memo');
  });

  it('accepts the largest uint256, leading zeros and long smart-wallet signatures', () => {
    const f = buildFixture(seededRng(11), { signature: randomHex(seededRng(12), 400) });
    let body: Json = asJson(v2Body(f));
    const max = ((1n << 256n) - 1n).toString();
    body = mutate(body, 'paymentPayload.payload.authorization.validBefore', max);
    body = mutate(body, 'paymentRequirements.amount', `000${f.amount}`);
    const p = expectOk(parseFacilitatorRequest(body));
    expect(evmPayload(p).authorization.validBefore).toBe((1n << 256n) - 1n);
    expect(p.amount).toBe(f.amount);
    expect(evmPayload(p).signature.length).toBe(2 + 800);
  });

  it('keeps the payload claims raw so the verifier can detect mismatches', () => {
    const f = buildFixture(seededRng(13));
    let body: Json = asJson(v2Body(f));
    body = mutate(body, 'paymentPayload.accepted.scheme', 'upto');
    body = mutate(body, 'paymentPayload.accepted.network', 'eip155:8453');
    const p = expectOk(parseFacilitatorRequest(body));
    expect([p.scheme, p.payloadScheme, p.network, p.payloadNetwork]).toEqual(['exact', 'upto', 'eip155:84532', 'eip155:8453']);
  });

  it('uses the registry it is given', () => {
    const networks = new NetworkRegistry();
    networks.register({ network: 'eip155:1337', chainId: 1337, displayName: 'Other local' });
    const body = v2Body(buildFixture(seededRng(14)), { network: 'eip155:1337' });
    expect(expectOk(parseFacilitatorRequest(body, { networks })).network).toBe('eip155:1337');
    expect(parseFacilitatorRequest(body)).toMatchObject({ kind: 'unsupported', reason: 'invalid_network' });
  });
});

describe('parseFacilitatorRequest: malformed', () => {
  const f = buildFixture(seededRng(100));
  const V1 = v1Body(f);
  const V2 = v2Body(f, { paymentIdentifier: 'pay_0123456789abcdef' });
  const DIGITS = 'expected a decimal string of atomic units';
  const SECONDS = 'expected a decimal string of unix seconds';

  it.each([null, [], 'body', 42, true])('refuses a non-object body %p at $', (body) => {
    expectMalformed(parseFacilitatorRequest(body), '$');
  });

  // [label, body, field, message fragment?]
  const cases: Array<[string, Json, string, string?]> = [
    ['x402Version missing', mutate(V2, 'x402Version', DELETE), 'x402Version', 'missing'],
    ['x402Version as string', mutate(V2, 'x402Version', '2'), 'x402Version', 'expected a number'],
    ['paymentPayload missing', mutate(V2, 'paymentPayload', DELETE), 'paymentPayload', 'missing'],
    ['paymentPayload an array', mutate(V2, 'paymentPayload', []), 'paymentPayload', 'array'],
    ['paymentPayload a base64 string', mutate(V2, 'paymentPayload', 'eyJ4In0='), 'paymentPayload'],
    ['paymentRequirements null', mutate(V2, 'paymentRequirements', null), 'paymentRequirements', 'null'],
    ['paymentPayload.x402Version missing', mutate(V2, 'paymentPayload.x402Version', DELETE), 'paymentPayload.x402Version'],

    ['v1 maxAmountRequired decimal point', mutate(V1, 'paymentRequirements.maxAmountRequired', '1.5'), 'paymentRequirements.maxAmountRequired', DIGITS],
    ['v1 maxAmountRequired negative', mutate(V1, 'paymentRequirements.maxAmountRequired', '-1'), 'paymentRequirements.maxAmountRequired', DIGITS],
    ['v1 maxAmountRequired plus sign', mutate(V1, 'paymentRequirements.maxAmountRequired', '+1'), 'paymentRequirements.maxAmountRequired', DIGITS],
    ['v1 maxAmountRequired number', mutate(V1, 'paymentRequirements.maxAmountRequired', 1000), 'paymentRequirements.maxAmountRequired', 'expected a string, received a number'],
    ['v1 maxAmountRequired empty', mutate(V1, 'paymentRequirements.maxAmountRequired', ''), 'paymentRequirements.maxAmountRequired', DIGITS],
    ['v1 resource missing', mutate(V1, 'paymentRequirements.resource', DELETE), 'paymentRequirements.resource', 'missing'],
    ['v1 outputSchema a string', mutate(V1, 'paymentRequirements.outputSchema', 'x'), 'paymentRequirements.outputSchema', 'expected an object, received a string'],
    ['v1 payload scheme missing', mutate(V1, 'paymentPayload.scheme', DELETE), 'paymentPayload.scheme', 'missing'],
    ['v1 payload network a number', mutate(V1, 'paymentPayload.network', 8453), 'paymentPayload.network'],
    ['v1 payload.payload a string', mutate(V1, 'paymentPayload.payload', '0xdead'), 'paymentPayload.payload', 'expected an object, received a string'],
    ['v1 signature missing', mutate(V1, 'paymentPayload.payload.signature', DELETE), 'paymentPayload.payload.signature', 'missing'],

    ['v2 scheme empty', mutate(V2, 'paymentRequirements.scheme', ''), 'paymentRequirements.scheme', 'non-empty'],
    ['v2 network missing', mutate(V2, 'paymentRequirements.network', DELETE), 'paymentRequirements.network'],
    ['v2 amount with exponent', mutate(V2, 'paymentRequirements.amount', '1e6'), 'paymentRequirements.amount', DIGITS],
    ['v2 amount with spaces', mutate(V2, 'paymentRequirements.amount', ' 100'), 'paymentRequirements.amount', DIGITS],
    ['v2 amount 79 digits', mutate(V2, 'paymentRequirements.amount', '1'.repeat(79)), 'paymentRequirements.amount', 'uint256'],
    ['v2 amount 2^256', mutate(V2, 'paymentRequirements.amount', (1n << 256n).toString()), 'paymentRequirements.amount', 'uint256'],
    ['v2 maxTimeoutSeconds negative', mutate(V2, 'paymentRequirements.maxTimeoutSeconds', -1), 'paymentRequirements.maxTimeoutSeconds', 'non-negative integer'],
    ['v2 maxTimeoutSeconds fractional', mutate(V2, 'paymentRequirements.maxTimeoutSeconds', 1.5), 'paymentRequirements.maxTimeoutSeconds', 'non-negative integer'],
    ['v2 maxTimeoutSeconds string', mutate(V2, 'paymentRequirements.maxTimeoutSeconds', '60'), 'paymentRequirements.maxTimeoutSeconds', 'expected a number'],
    ['v2 extra an array', mutate(V2, 'paymentRequirements.extra', ['USDC']), 'paymentRequirements.extra'],
    ['v2 asset too short', mutate(V2, 'paymentRequirements.asset', '0x1234'), 'paymentRequirements.asset', 'EVM address'],
    ['v2 asset an ISO currency code', mutate(V2, 'paymentRequirements.asset', 'USD'), 'paymentRequirements.asset', 'EVM address'],
    ['v2 payTo a role constant', mutate(V2, 'paymentRequirements.payTo', 'merchant'), 'paymentRequirements.payTo', 'EVM address'],
    ['v2 accepted missing', mutate(V2, 'paymentPayload.accepted', DELETE), 'paymentPayload.accepted', 'missing'],
    ['v2 accepted amount bad', mutate(V2, 'paymentPayload.accepted.amount', '10.0'), 'paymentPayload.accepted.amount', DIGITS],
    ['v2 accepted payTo bad', mutate(V2, 'paymentPayload.accepted.payTo', '0xZZ'), 'paymentPayload.accepted.payTo', 'EVM address'],
    ['v2 resource url missing', mutate(V2, 'paymentPayload.resource.url', DELETE), 'paymentPayload.resource.url', 'missing'],
    ['v2 extensions a string', mutate(V2, 'paymentPayload.extensions', 'x'), 'paymentPayload.extensions'],
    ['payment-identifier not an object', mutate(V2, 'paymentPayload.extensions.payment-identifier', 'pay_0123456789abcdef'), 'paymentPayload.extensions.payment-identifier'],
    ['payment-identifier without info', mutate(V2, 'paymentPayload.extensions.payment-identifier.info', DELETE), 'paymentPayload.extensions.payment-identifier.info'],
    ['payment-identifier id too short', mutate(V2, 'paymentPayload.extensions.payment-identifier.info.id', 'pay_short'), 'paymentPayload.extensions.payment-identifier.info.id', '16 to 128'],
    ['payment-identifier id too long', mutate(V2, 'paymentPayload.extensions.payment-identifier.info.id', 'a'.repeat(129)), 'paymentPayload.extensions.payment-identifier.info.id'],
    ['payment-identifier id bad character', mutate(V2, 'paymentPayload.extensions.payment-identifier.info.id', 'pay 0123456789abcdef'), 'paymentPayload.extensions.payment-identifier.info.id'],
    ['payment-identifier id a number', mutate(V2, 'paymentPayload.extensions.payment-identifier.info.id', 1234567890), 'paymentPayload.extensions.payment-identifier.info.id'],
    [
      'payment-identifier required but no id',
      mutate(mutate(V2, 'paymentPayload.extensions.payment-identifier.info.id', DELETE), 'paymentPayload.extensions.payment-identifier.info.required', true),
      'paymentPayload.extensions.payment-identifier.info.id',
      'required',
    ],

    ['signature without 0x', mutate(V2, 'paymentPayload.payload.signature', f.signature.slice(2)), 'paymentPayload.payload.signature', '0x-prefixed hex'],
    ['signature odd length', mutate(V2, 'paymentPayload.payload.signature', `${f.signature}0`), 'paymentPayload.payload.signature', 'whole bytes'],
    ['signature 64 bytes', mutate(V2, 'paymentPayload.payload.signature', f.signature.slice(0, 130)), 'paymentPayload.payload.signature', 'at least 65 bytes'],
    ['authorization missing', mutate(V2, 'paymentPayload.payload.authorization', DELETE), 'paymentPayload.payload.authorization', 'missing'],
    ['authorization from bad', mutate(V2, 'paymentPayload.payload.authorization.from', `${f.payer}00`), 'paymentPayload.payload.authorization.from', 'EVM address'],
    ['authorization to missing', mutate(V2, 'paymentPayload.payload.authorization.to', DELETE), 'paymentPayload.payload.authorization.to'],
    ['authorization value hex', mutate(V2, 'paymentPayload.payload.authorization.value', '0x10'), 'paymentPayload.payload.authorization.value', DIGITS],
    ['authorization value number', mutate(V2, 'paymentPayload.payload.authorization.value', 10000), 'paymentPayload.payload.authorization.value'],
    ['authorization validAfter fractional', mutate(V2, 'paymentPayload.payload.authorization.validAfter', '1.0'), 'paymentPayload.payload.authorization.validAfter', SECONDS],
    ['authorization validBefore > uint256', mutate(V2, 'paymentPayload.payload.authorization.validBefore', '9'.repeat(78)), 'paymentPayload.payload.authorization.validBefore', 'uint256'],
    ['nonce 31 bytes', mutate(V2, 'paymentPayload.payload.authorization.nonce', f.nonce.slice(0, 64)), 'paymentPayload.payload.authorization.nonce', '32 bytes'],
    ['nonce a number', mutate(V2, 'paymentPayload.payload.authorization.nonce', 7), 'paymentPayload.payload.authorization.nonce'],
    ['v1 nonce not hex', mutate(V1, 'paymentPayload.payload.authorization.nonce', `0x${'g'.repeat(64)}`), 'paymentPayload.payload.authorization.nonce'],
  ];

  // Pad to four columns: jest passes `done` to a test whose arity exceeds the row length.
  const rows = cases.map(([label, body, field, fragment]) => [label, field, body, fragment ?? ''] as const);
  it.each(rows)('%s → %s', (_label, field, body, fragment) => {
    const r = expectMalformed(parseFacilitatorRequest(body), field);
    if (fragment) expect(r.message).toContain(fragment);
  });

  it('classifies the side that is at fault', () => {
    expect(parseFacilitatorRequest(mutate(V2, 'paymentRequirements.amount', 'x'))).toMatchObject({ reason: ReasonCode.InvalidPaymentRequirements });
    expect(parseFacilitatorRequest(mutate(V2, 'paymentPayload.payload.signature', 'x'))).toMatchObject({ reason: ReasonCode.InvalidPayload });
    expect(parseFacilitatorRequest(mutate(V2, 'x402Version', null))).toMatchObject({ reason: ReasonCode.InvalidX402Version });
  });

  it('reports the first failing field: requirements before payload, payload shape before EVM formats', () => {
    let body = mutate(V2, 'paymentPayload.payload.authorization.value', 'x');
    body = mutate(body, 'paymentRequirements.maxTimeoutSeconds', -5);
    expectMalformed(parseFacilitatorRequest(body), 'paymentRequirements.maxTimeoutSeconds');

    body = mutate(V2, 'paymentRequirements.asset', 'nope');
    body = mutate(body, 'paymentPayload.accepted.amount', 'x');
    expectMalformed(parseFacilitatorRequest(body), 'paymentPayload.accepted.amount');

    body = mutate(V2, 'paymentPayload.payload.authorization.nonce', '0x');
    body = mutate(body, 'paymentPayload.payload.authorization.from', '0x');
    expectMalformed(parseFacilitatorRequest(body), 'paymentPayload.payload.authorization.from');
  });
});

describe('parseFacilitatorRequest: unsupported', () => {
  const f = buildFixture(seededRng(200));
  const V1 = v1Body(f);
  const V2 = v2Body(f);

  it.each([3, 0, 1.5, -1])('refuses x402Version %p', (v) => {
    const body = mutate(mutate(V2, 'x402Version', v), 'paymentPayload.x402Version', v);
    expect(parseFacilitatorRequest(body)).toMatchObject({ kind: 'unsupported', reason: 'invalid_x402_version', network: 'eip155:84532', payer: f.payer });
  });

  it('refuses a payload version that disagrees with the request version', () => {
    expect(parseFacilitatorRequest(mutate(V2, 'paymentPayload.x402Version', 1))).toMatchObject({ kind: 'unsupported', reason: 'invalid_x402_version' });
    expect(parseFacilitatorRequest(mutate(V1, 'x402Version', 2))).toMatchObject({ kind: 'unsupported', reason: 'invalid_x402_version' });
  });

  it('refuses a scheme other than exact without looking at its payload', () => {
    let body = mutate(V2, 'paymentRequirements.scheme', 'upto');
    body = mutate(body, 'paymentPayload.payload', { anything: 'goes' });
    const r = parseFacilitatorRequest(body);
    expect(r).toMatchObject({ kind: 'unsupported', reason: 'unsupported_scheme', network: 'eip155:84532' });
    expect(r).not.toHaveProperty('payer');
    expect(parseFacilitatorRequest(mutate(V1, 'paymentRequirements.scheme', 'EXACT'))).toMatchObject({
      reason: 'unsupported_scheme',
      network: 'base-sepolia',
      payer: f.payer,
    });
  });

  it.each([
    ['v2 unregistered chain', V2, 'eip155:1'],
    ['v2 v1 name', V2, 'base'],
    ['v2 Solana', V2, 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp'],
    ['v2 malformed CAIP-2', V2, 'eip155:08453'],
    ['v1 unknown name', V1, 'polygon'],
    ['v1 unregistered chain', V1, 'eip155:137'],
  ])('refuses %s network as invalid_network', (_label, body, network) => {
    expect(parseFacilitatorRequest(mutate(body, 'paymentRequirements.network', network))).toMatchObject({
      kind: 'unsupported',
      reason: 'invalid_network',
      network,
    });
  });

  it('refuses a Solana request as invalid_network, not as a malformed address', () => {
    let body = mutate(V2, 'paymentRequirements.network', 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1');
    body = mutate(body, 'paymentRequirements.payTo', 'CKPKJWNdJEqa81x7CkZ14BVPiY6y16Sxs7owznqtWYp5');
    body = mutate(body, 'paymentPayload.payload', { transaction: 'AQID' });
    expect(parseFacilitatorRequest(body)).toMatchObject({ kind: 'unsupported', reason: 'invalid_network' });
  });

  it.each([
    ['Permit2', { signature: f.signature, permit2Authorization: { from: f.payer } }],
    ['ERC-7710', { delegationManager: f.payTo, permissionContext: '0x', delegator: f.payer }],
  ])('refuses %s exact payloads as unsupported_payload_type', (_label, payload) => {
    expect(parseFacilitatorRequest(mutate(V2, 'paymentPayload.payload', payload))).toMatchObject({
      kind: 'unsupported',
      reason: 'unsupported_payload_type',
    });
  });
});

describe('parseFacilitatorRequest: properties', () => {
  const KINDS = new Set(['ok', 'malformed', 'unsupported']);

  function assertWellFormedResult(r: ParseResult): void {
    expect(KINDS.has(r.kind)).toBe(true);
    if (r.kind === 'malformed') {
      expect(r.field.length).toBeGreaterThan(0);
      expect(r.message.length).toBeGreaterThan(0);
      expect(r.message).not.toMatch(/could not be parsed/);
    }
    if (r.kind === 'unsupported') expect(r.message.length).toBeGreaterThan(0);
  }

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }), (v) => {
        assertWellFormedResult(parseFacilitatorRequest(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON, including JSON shaped like a request', () => {
    const requestish = fc.record(
      {
        x402Version: fc.oneof(fc.constantFrom(1, 2), fc.jsonValue()),
        paymentPayload: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
        paymentRequirements: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.json().map((s) => JSON.parse(s) as unknown), requestish), (v) => {
        assertWellFormedResult(parseFacilitatorRequest(v));
      }),
      { numRuns: 2000 },
    );
  });

  /** Every path (object keys only) in a JSON value, parents before children. */
  function pathsOf(value: unknown, prefix: string[] = []): string[][] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  }

  const mutation = fc.record({
    pick: fc.nat(),
    op: fc.constantFrom('set', 'delete', 'add'),
    value: fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('', '0x', '-1', '1.5', '0'.repeat(79), 'base', 'eip155:1', 'exact', 'upto', null, [], {}),
    ),
    key: fc.string({ maxLength: 12 }),
  });

  it('answers ok, malformed with a field, or unsupported for any mutation of a valid body', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(1, 2), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, version, muts) => {
        const rng = seededRng(seed);
        const f = buildFixture(rng);
        const body = asJson(version === 1 ? v1Body(f) : v2Body(f, { paymentIdentifier: `pay_${randomHex(rng, 12).slice(2)}` }));
        for (const m of muts) {
          const paths = pathsOf(body);
          if (paths.length === 0) break;
          const path = paths[m.pick % paths.length];
          let parent: Json = body;
          for (const k of path.slice(0, -1)) parent = parent[k] as Json;
          const last = path[path.length - 1];
          // A copy: fast-check hands the same value objects to later runs and shrinks, and inserting one
          // into itself (set, then add under it) would make the body cyclic.
          const value = structuredClone(m.value) as Json[string];
          if (m.op === 'delete') delete parent[last];
          else if (m.op === 'set') parent[last] = value;
          else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last])) {
            (parent[last] as Json)[m.key] = value;
          }
        }
        const r = parseFacilitatorRequest(body);
        assertWellFormedResult(r);
        if (r.kind === 'malformed') expect(r.field).toMatch(/^(\$|x402Version|paymentPayload|paymentRequirements)/);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses every valid body built from any seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, v1) => {
        const f = buildFixture(seededRng(seed));
        const r = parseFacilitatorRequest(v1 ? v1Body(f) : v2Body(f));
        expect(r.kind).toBe('ok');
        if (r.kind === 'ok') {
          expect(r.payment.amount).toBe(f.amount);
          expect(evmPayload(r.payment).authorization.nonce).toBe(f.nonce);
        }
      }),
      { numRuns: 500 },
    );
  });
});
