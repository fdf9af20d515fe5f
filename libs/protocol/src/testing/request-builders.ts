/**
 * Test-only builders of well-formed x402 facilitator request bodies from a seeded random source.
 * Not exported from the package entry. Signatures are random bytes of the right length: these
 * builders exercise the wire layer, not cryptography.
 */
import type { Hex, HexAddress, VerifyRequestV1, VerifyRequestV2 } from '../types';

/** Uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast, good enough to vary test data reproducibly. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function randomHex(rng: Rng, bytes: number): Hex {
  let s = '0x';
  for (let i = 0; i < bytes * 2; i++) s += '0123456789abcdef'[randomInt(rng, 0, 15)];
  return s as Hex;
}

/** A random address in random letter case (the wire accepts any case). */
export function randomAddress(rng: Rng): HexAddress {
  const hex = randomHex(rng, 20).slice(2);
  const cased = [...hex].map((c) => (rng() < 0.5 ? c.toUpperCase() : c)).join('');
  return `0x${cased}`;
}

/** The values a body is built from, kept so tests can compare the parse result against them. */
export interface PaymentFixture {
  payer: HexAddress;
  payTo: HexAddress;
  asset: HexAddress;
  amount: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
  signature: Hex;
  maxTimeoutSeconds: number;
  extra: { name: string; version: string };
}

export function buildFixture(rng: Rng, overrides: Partial<PaymentFixture> = {}): PaymentFixture {
  const now = 1_750_000_000 + randomInt(rng, 0, 50_000_000);
  const maxTimeoutSeconds = randomInt(rng, 30, 600);
  return {
    payer: randomAddress(rng),
    payTo: randomAddress(rng),
    asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    amount: BigInt(randomInt(rng, 1, 1_000_000_000)),
    validAfter: BigInt(now - 600),
    validBefore: BigInt(now + maxTimeoutSeconds),
    nonce: randomHex(rng, 32),
    signature: randomHex(rng, 65),
    maxTimeoutSeconds,
    extra: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

function exactPayload(f: PaymentFixture) {
  return {
    signature: f.signature,
    authorization: {
      from: f.payer,
      to: f.payTo,
      value: f.amount.toString(),
      validAfter: f.validAfter.toString(),
      validBefore: f.validBefore.toString(),
      nonce: f.nonce,
    },
  };
}

/** A v1 `/verify` body as the legacy x402 middleware sends it. */
export function v1Body(f: PaymentFixture, opts: { network?: string; resource?: string } = {}): VerifyRequestV1 {
  const network = opts.network ?? 'base-sepolia';
  return {
    x402Version: 1,
    paymentPayload: { x402Version: 1, scheme: 'exact', network, payload: exactPayload(f) },
    paymentRequirements: {
      scheme: 'exact',
      network,
      maxAmountRequired: f.amount.toString(),
      resource: opts.resource ?? 'https://api.example.test/premium',
      description: 'premium data',
      mimeType: 'application/json',
      payTo: f.payTo,
      maxTimeoutSeconds: f.maxTimeoutSeconds,
      asset: f.asset,
      extra: { ...f.extra },
    },
  };
}

/** A v2 `/verify` body as `@x402/core`'s HTTPFacilitatorClient sends it. */
export function v2Body(
  f: PaymentFixture,
  opts: { network?: string; paymentIdentifier?: string; resourceUrl?: string } = {},
): VerifyRequestV2 {
  const requirements = {
    scheme: 'exact',
    network: opts.network ?? 'eip155:84532',
    amount: f.amount.toString(),
    asset: f.asset,
    payTo: f.payTo,
    maxTimeoutSeconds: f.maxTimeoutSeconds,
    extra: { ...f.extra },
  };
  const body: VerifyRequestV2 = {
    x402Version: 2,
    paymentPayload: {
      x402Version: 2,
      resource: { url: opts.resourceUrl ?? 'https://api.example.test/premium', mimeType: 'application/json' },
      accepted: { ...requirements, extra: { ...f.extra } },
      payload: exactPayload(f),
    },
    paymentRequirements: requirements,
  };
  if (opts.paymentIdentifier !== undefined) {
    body.paymentPayload.extensions = {
      'payment-identifier': {
        info: { required: false, id: opts.paymentIdentifier },
        schema: { type: 'object', properties: { required: { type: 'boolean' }, id: { type: 'string' } } },
      },
    };
  }
  return body;
}

/** Deep copy of a JSON value, for mutating a built body without touching the original. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
