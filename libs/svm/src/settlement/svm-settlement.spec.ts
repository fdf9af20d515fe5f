import { createKeyPairSignerFromPrivateKeyBytes, getAddressEncoder, getBase58Decoder } from '@solana/kit';
import { feePayerSigners } from './svm-fee-payers';
import { failureOfLanded } from './svm-outcomes';

describe('failureOfLanded', () => {
  it("names the payer's missing tokens (Token error 1 in the transfer) insufficient_funds", () => {
    expect(failureOfLanded({ InstructionError: [2, { Custom: 1 }] })).toMatchObject({ reason: 'insufficient_funds' });
  });
  it('answers any other landed error with the reference settle code, carrying the chain error', () => {
    const f = failureOfLanded({ InstructionError: [3, 'InvalidAccountData'] });
    expect(f).toEqual({ reason: 'invalid_exact_svm_transaction_failed', message: expect.stringContaining('InvalidAccountData') });
    expect(failureOfLanded('AccountInUse').reason).toBe('invalid_exact_svm_transaction_failed');
  });
});

describe('feePayerSigners', () => {
  const seed = new Uint8Array(32).fill(7);
  it('derives each signer from a 64-byte base58 secret key, keyed by address', async () => {
    const signer = await createKeyPairSignerFromPrivateKeyBytes(seed);
    const secret = new Uint8Array(64);
    secret.set(seed, 0);
    secret.set(new Uint8Array(getAddressEncoder().encode(signer.address)), 32);
    const map = await feePayerSigners([getBase58Decoder().decode(secret)]);
    expect([...map.keys()]).toEqual([signer.address]);
  });
  it('refuses a key whose public half does not match its seed, without echoing the key', async () => {
    const secret = new Uint8Array(64).fill(7);
    await expect(feePayerSigners([getBase58Decoder().decode(secret)])).rejects.toThrow(/key #1: its public half does not match/);
  });
});
