/**
 * Pre-signed, distinct, valid x402 `exact` payments for the load generator.
 *
 * viem's `signTypedData` costs ≈ 3 ms per signature here, far too slow for the tens of thousands of
 * authorizations a benchmark step consumes. The EIP-712 digest comes from libs/evm `eip3009Digest` (a fixed
 * struct: two keccaks) and the signature from libsecp256k1 through the native `secp256k1` package
 * (tens of µs), so a step's bodies are signed in a second or two. A sample of every set is checked with the
 * independent pure-JS path (viem `recoverTypedDataAddress`), so a digest bug cannot silently turn the whole
 * benchmark into a measurement of the rejection path.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { getAddress, hexToBytes, recoverTypedDataAddress, type Address, type Hex } from 'viem';
import type { DevchainAccount, DevchainDeployment } from '@tollgate/devchain';
import { eip3009Digest, TRANSFER_WITH_AUTHORIZATION_TYPES } from '@tollgate/evm';
import { bodyV2 } from '../libs/testing/src/payments';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const secp256k1 = require('secp256k1') as typeof import('secp256k1');

/** What every body of a benchmark run shares. */
export interface SigningContext {
  deployment: DevchainDeployment;
  payers: DevchainAccount[];
  payTo: Address;
  /** Atomic units per payment. */
  amount: bigint;
  /** Seconds the authorizations stay valid from signing (well beyond the run and the settlement window). */
  validForSeconds?: number;
}

/** One signed payment: the JSON body `/verify` and `/settle` take, and the signer for checks. */
export interface SignedBody {
  json: string;
  payer: Address;
  nonce: Hex;
}

/**
 * Signs `count` distinct authorizations (fresh random nonces) round-robin over the payers, so concurrent
 * requests rarely share a payer (Tollgate serializes verifies per payer) and no payer's exposure grows large.
 */
export function signBodies(ctx: SigningContext, count: number, payerOffset = 0): SignedBody[] {
  const d = ctx.deployment;
  const domain = { name: d.token.name, version: d.token.version, chainId: d.chainId, token: d.token.address };
  const keys = ctx.payers.map((p) => ({ address: getAddress(p.address), key: hexToBytes(p.privateKey) }));
  const now = BigInt(Math.floor(Date.now() / 1000));
  const validAfter = now - 600n;
  const validBefore = now + BigInt(ctx.validForSeconds ?? 3600);
  const nonces = randomBytes(32 * count);
  const out: SignedBody[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const payer = keys[(payerOffset + i) % keys.length];
    const nonce = `0x${nonces.subarray(i * 32, i * 32 + 32).toString('hex')}` as Hex;
    const authorization = { from: payer.address, to: ctx.payTo, value: ctx.amount, validAfter, validBefore, nonce };
    const digest = hexToBytes(eip3009Digest(domain, authorization));
    const { signature, recid } = secp256k1.ecdsaSign(digest, payer.key);
    const sig = `0x${Buffer.from(signature).toString('hex')}${(recid + 27).toString(16)}` as Hex;
    const body = bodyV2(
      d,
      {
        signature: sig,
        authorization: {
          from: payer.address,
          to: ctx.payTo,
          value: ctx.amount.toString(),
          validAfter: validAfter.toString(),
          validBefore: validBefore.toString(),
          nonce,
        },
      },
      { payTo: ctx.payTo, amount: ctx.amount },
    );
    out[i] = { json: JSON.stringify(body), payer: payer.address, nonce };
  }
  return out;
}

/**
 * Recovers the signer of a few bodies with viem's pure-JS EIP-712 path and throws when one does not match
 * its `from`: the fast digest and the native signer must agree with the reference implementation.
 */
export async function checkSample(ctx: SigningContext, bodies: readonly SignedBody[], sample = 3): Promise<void> {
  const d = ctx.deployment;
  const picks = new Set([0, Math.floor(bodies.length / 2), bodies.length - 1].slice(0, Math.min(sample, bodies.length)));
  for (const i of picks) {
    const body = JSON.parse(bodies[i].json) as { paymentPayload: { payload: { signature: Hex; authorization: Record<string, string> } } };
    const { signature, authorization: a } = body.paymentPayload.payload;
    const recovered = await recoverTypedDataAddress({
      domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: a.from as Address,
        to: a.to as Address,
        value: BigInt(a.value),
        validAfter: BigInt(a.validAfter),
        validBefore: BigInt(a.validBefore),
        nonce: a.nonce as Hex,
      },
      signature,
    });
    if (recovered !== getAddress(a.from)) throw new Error(`pre-signed body ${i}: signature recovers ${recovered}, expected ${a.from}`);
  }
}

/** Writes bodies as NDJSON (one JSON body per line), the format `bench/load.ts` reads. */
export function writeBodies(path: string, bodies: readonly SignedBody[]): void {
  writeFileSync(path, `${bodies.map((b) => b.json).join('\n')}\n`);
}
