import { encodeErrorResult, encodeFunctionData, Hex, parseAbi } from 'viem';
import { eip3009Abi } from './abis';
import { authorizationStateCalldata, balanceOfCalldata, revertDataReason, transferWithAuthorizationCalldata } from './authorization-reads';

const authorization = {
  from: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  to: '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2',
  value: 1_250_000n,
  validAfter: 0n,
  validBefore: 2n ** 256n - 1n,
  nonce: '0x3ac225168df54212a25c1c01fd35bebfea408fdac2e31ddd6f80a4bbf9a5f1cb',
} as const;

describe('authorization read calldata (hand-encoded)', () => {
  it('matches viem for balanceOf and authorizationState', () => {
    expect(balanceOfCalldata(authorization.from)).toBe(encodeFunctionData({ abi: eip3009Abi, functionName: 'balanceOf', args: [authorization.from] }));
    expect(authorizationStateCalldata(authorization.from, authorization.nonce)).toBe(
      encodeFunctionData({ abi: eip3009Abi, functionName: 'authorizationState', args: [authorization.from, authorization.nonce] }),
    );
  });

  it.each([0, 1, 32, 65, 97, 200])('matches viem for transferWithAuthorization with a %i-byte signature', (bytes) => {
    const signature = `0x${Array.from({ length: bytes }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, '0')).join('')}` as Hex;
    const a = { ...authorization };
    expect(transferWithAuthorizationCalldata(a, signature)).toBe(
      encodeFunctionData({
        abi: eip3009Abi,
        functionName: 'transferWithAuthorization',
        args: [a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, signature],
      }),
    );
  });

  it('refuses fields that do not fit their ABI type', () => {
    expect(() => balanceOfCalldata('0x1234' as Hex)).toThrow(/not an address/);
    expect(() => authorizationStateCalldata(authorization.from, '0x12')).toThrow(/not a bytes32/);
    expect(() => transferWithAuthorizationCalldata({ ...authorization, value: -1n }, '0x')).toThrow(/does not fit uint256/);
    expect(() => transferWithAuthorizationCalldata({ ...authorization, validBefore: 2n ** 256n }, '0x')).toThrow(/does not fit uint256/);
    expect(() => transferWithAuthorizationCalldata(authorization, '0x123' as Hex)).toThrow(/not hex bytes/);
  });
});

describe('revertDataReason', () => {
  const errors = parseAbi(['error Error(string)', 'error Panic(uint256)', 'error Blacklisted(address)']);

  it('gives the Error(string) text the verifier maps to reason codes', () => {
    for (const reason of ['FiatTokenV2: invalid signature', 'FiatTokenV2: authorization is expired', 'ERC20: transfer amount exceeds balance']) {
      expect(revertDataReason(encodeErrorResult({ abi: errors, errorName: 'Error', args: [reason] }))).toBe(reason);
    }
  });

  it('gives the Panic code, and generic text for empty data and unknown custom errors', () => {
    expect(revertDataReason(encodeErrorResult({ abi: errors, errorName: 'Panic', args: [0x11n] }))).toBe('17');
    expect(revertDataReason('0x')).toBe('Execution reverted for an unknown reason.');
    const custom = encodeErrorResult({ abi: errors, errorName: 'Blacklisted', args: [authorization.from] });
    expect(revertDataReason(custom)).toBe(`Execution reverted with reason: custom error ${custom.slice(0, 10)}.`);
  });
});
