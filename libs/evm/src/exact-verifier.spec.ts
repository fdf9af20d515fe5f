import { BaseError, encodeErrorResult, parseAbi } from 'viem';
import { revertReason } from './exact-verifier';

describe('revertReason', () => {
  it('decodes the Error(string) of a raw eth_call revert', () => {
    const data = encodeErrorResult({ abi: parseAbi(['error Error(string)']), errorName: 'Error', args: ['FiatTokenV2: invalid signature'] });
    const err = new BaseError('call reverted', { cause: Object.assign(new Error('execution reverted'), { data }) as never });
    expect(revertReason(err)).toBe('FiatTokenV2: invalid signature');
  });

  it('falls back to the message of unknown errors', () => {
    expect(revertReason(new Error('socket hang up'))).toBe('socket hang up');
  });
});
