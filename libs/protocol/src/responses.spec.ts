import { settleFailure, settleSuccess, verifyInvalid, verifyValid } from './responses';
import { SettleResponseSchema, VerifyResponseSchema } from './schemas';
import { randomAddress, randomHex, seededRng } from './testing/request-builders';

/** No key may hold `undefined`: absent optional fields are omitted. */
function expectNoUndefined(obj: object): void {
  for (const [k, v] of Object.entries(obj)) expect([k, v]).not.toEqual([k, undefined]);
}

describe('response builders', () => {
  const rng = seededRng(5);
  const payer = randomAddress(rng);
  const tx = randomHex(rng, 32);

  it('verifyValid', () => {
    const r = verifyValid(payer);
    expect(r).toStrictEqual({ isValid: true, payer });
    expect(verifyValid(payer, { tollgate: { ref: 'p_1' } })).toStrictEqual({ isValid: true, payer, extensions: { tollgate: { ref: 'p_1' } } });
    expect(VerifyResponseSchema.safeParse(r).success).toBe(true);
  });

  it('verifyInvalid', () => {
    const r = verifyInvalid('invalid_exact_evm_signature', 'signature does not recover to from', payer);
    expect(r).toStrictEqual({ isValid: false, invalidReason: 'invalid_exact_evm_signature', invalidMessage: 'signature does not recover to from', payer });
    const anonymous = verifyInvalid('invalid_payload', 'bad');
    expect(Object.keys(anonymous)).toEqual(['isValid', 'invalidReason', 'invalidMessage']);
    expectNoUndefined(anonymous);
  });

  it('settleSuccess', () => {
    const r = settleSuccess({ payer, transaction: tx, network: 'eip155:8453', amount: 10_000n });
    expect(r).toStrictEqual({ success: true, payer, transaction: tx, network: 'eip155:8453', amount: '10000' });
    const deferred = settleSuccess({ payer, transaction: '', network: 'base', extensions: { tollgate: { status: 'queued' } } });
    expect(Object.keys(deferred)).toEqual(['success', 'payer', 'transaction', 'network', 'extensions']);
    expect(SettleResponseSchema.safeParse(r).success).toBe(true);
    expect(SettleResponseSchema.safeParse(deferred).success).toBe(true);
  });

  it('settleFailure', () => {
    const r = settleFailure({ reason: 'tollgate_settlement_timeout', message: 'still pending', network: 'eip155:84532', payer });
    expect(r).toStrictEqual({
      success: false,
      errorReason: 'tollgate_settlement_timeout',
      errorMessage: 'still pending',
      payer,
      transaction: '',
      network: 'eip155:84532',
    });
    const bare = settleFailure({ reason: 'invalid_network', message: 'not served', network: 'polygon' });
    expect(Object.keys(bare)).toEqual(['success', 'errorReason', 'errorMessage', 'transaction', 'network']);
    expectNoUndefined(bare);
    expect(JSON.parse(JSON.stringify(bare))).toStrictEqual(bare);
    expect(SettleResponseSchema.safeParse(bare).success).toBe(true);
  });
});
