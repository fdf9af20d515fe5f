import { Address, Hex, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { DevchainDeployment } from '@tollgate/devchain';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@tollgate/evm';

/**
 * Small seeded PRNG (mulberry32) so that test data is reproducible per seed and never pasted blobs.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32 random bytes as an EIP-3009 nonce. */
export function randomNonce(rand: () => number): Hex {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rand() * 256);
  return toHex(bytes);
}

export interface AuthorizationSpec {
  /** Payer private key. */
  payerKey: Hex;
  to: Address;
  /** Atomic units. */
  value: bigint;
  /** Unix seconds; default now − 600 as reference clients sign. */
  validAfter?: bigint;
  /** Unix seconds; default now + 300. */
  validBefore?: bigint;
  nonce: Hex;
  /** EIP-712 domain to sign with; default the devchain token's. */
  domain?: { name: string; version: string; chainId: number; verifyingContract: Address };
  /** Sign as this address (e.g. an ERC-1271 wallet) while the key belongs to its owner. */
  from?: Address;
}

/** A signed `exact` EVM payload: `{signature, authorization}` with decimal-string big integers. */
export async function signAuthorization(d: DevchainDeployment, s: AuthorizationSpec) {
  const account = privateKeyToAccount(s.payerKey);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const authorization = {
    from: s.from ?? account.address,
    to: s.to,
    value: s.value,
    validAfter: s.validAfter ?? now - 600n,
    validBefore: s.validBefore ?? now + 300n,
    nonce: s.nonce,
  };
  const domain = s.domain ?? { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address };
  const signature = await account.signTypedData({ domain, types: TRANSFER_WITH_AUTHORIZATION_TYPES, primaryType: 'TransferWithAuthorization', message: authorization });
  return {
    signature,
    authorization: {
      from: authorization.from,
      to: authorization.to,
      value: authorization.value.toString(),
      validAfter: authorization.validAfter.toString(),
      validBefore: authorization.validBefore.toString(),
      nonce: authorization.nonce,
    },
  };
}

export type ExactPayload = Awaited<ReturnType<typeof signAuthorization>>;

/** v2 requirements for the devchain token. */
export function requirementsV2(d: DevchainDeployment, payTo: Address, amount: bigint, extra?: Record<string, unknown>) {
  return {
    scheme: 'exact',
    network: d.network,
    asset: d.token.address,
    amount: amount.toString(),
    payTo,
    maxTimeoutSeconds: 300,
    extra: extra ?? { name: d.token.name, version: d.token.version },
  };
}

/** A v2 `/verify` or `/settle` body: `{x402Version: 2, paymentPayload: {accepted, payload}, paymentRequirements}`. */
export function bodyV2(
  d: DevchainDeployment,
  payload: ExactPayload,
  opts: { payTo: Address; amount: bigint; paymentIdentifier?: string; requirements?: Record<string, unknown>; accepted?: Record<string, unknown> },
) {
  const requirements = opts.requirements ?? requirementsV2(d, opts.payTo, opts.amount);
  return {
    x402Version: 2,
    paymentPayload: {
      x402Version: 2,
      resource: { url: 'http://127.0.0.1/paid', description: 'test resource', mimeType: 'application/json' },
      accepted: opts.accepted ?? requirements,
      payload,
      ...(opts.paymentIdentifier ? { extensions: { 'payment-identifier': { info: { id: opts.paymentIdentifier } } } } : {}),
    },
    paymentRequirements: requirements,
  };
}

/** A v1 body (network by legacy name, `maxAmountRequired`). */
export function bodyV1(d: DevchainDeployment, payload: ExactPayload, opts: { payTo: Address; amount: bigint; network: string }) {
  return {
    x402Version: 1,
    paymentPayload: { x402Version: 1, scheme: 'exact', network: opts.network, payload },
    paymentRequirements: {
      scheme: 'exact',
      network: opts.network,
      maxAmountRequired: opts.amount.toString(),
      resource: 'http://127.0.0.1/paid',
      description: 'test resource',
      mimeType: 'application/json',
      payTo: opts.payTo,
      maxTimeoutSeconds: 300,
      asset: d.token.address,
      extra: { name: d.token.name, version: d.token.version },
    },
  };
}
