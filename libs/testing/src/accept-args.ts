import { randomBytes } from 'node:crypto';
import type { AcceptArgs } from '@tollgate/persistence';

/** `0x` and `bytes` random bytes as lower-case hex (addresses: 20, nonces: 32, signatures: 65). */
export const randomHex = (bytes: number): string => `0x${randomBytes(bytes).toString('hex')}`;

/**
 * Arguments of one `PaymentLedger.accept` call for database tests: a fresh payer, nonce, signature and
 * reference each time, on `eip155:31337` with asset `0xaa…aa` and payTo `0xbb…bb`, 1000 atomic units, valid
 * for an hour, no exposure limits (`payerBalance` and `merchantMaxExposure` null). `o` overrides any field.
 */
export function acceptArgs(o: Partial<AcceptArgs> & { merchantId: string }): AcceptArgs {
  return {
    network: 'eip155:31337',
    asset: `0x${'a'.repeat(40)}`,
    payer: randomHex(20),
    nonce: randomHex(32),
    signature: randomHex(65),
    amount: '1000',
    payerBalance: null,
    merchantMaxExposure: null,
    reference: `pay_${randomBytes(16).toString('base64url')}`,
    x402Version: 2,
    scheme: 'exact',
    payTo: `0x${'b'.repeat(40)}`,
    validAfter: '0',
    validBefore: '9999999999',
    expiresAt: new Date(Date.now() + 3_600_000),
    paymentIdentifier: null,
    requirements: '{}',
    ...o,
  };
}
