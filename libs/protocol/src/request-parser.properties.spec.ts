import fc from 'fast-check';
import { parseFacilitatorRequest, type ParseResult } from './request-parser';
import { asJson, evmPayload, mutate, type Json } from './testing/json-mutation';
import { buildFixture, randomHex, seededRng, v1Body, v2Body } from './testing/request-builders';

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
