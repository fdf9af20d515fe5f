import { NetworkRegistry } from './networks';
import { ReasonCode } from './reason-codes';
import { parseFacilitatorRequest, type ParseResult } from './request-parser';
import { DELETE, asJson, evmPayload, mutate, type Json } from './testing/json-mutation';
import { buildFixture, randomHex, seededRng, v1Body, v2Body } from './testing/request-builders';

// The unsupported-request and property-based cases live in request-parser.properties.spec.ts.
const SEEDS = [1, 2, 3, 42, 1234, 99_999];

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
