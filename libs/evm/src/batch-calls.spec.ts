import fc from 'fast-check';
import { Address, decodeEventLog, encodeEventTopics, encodeFunctionData, getAddress, Hex, Log, parseSignature, toHex } from 'viem';
import { eip3009Abi, multicall3Abi } from './abis';
import { authorizationKey, authorizationsUsed, batchCall, SettlementRow, transferCalldata } from './batch-calls';

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)) as Address);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b) as Hex);
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const ecdsa = fc
  .tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.constantFrom(0, 1, 27, 28))
  .map(([rs, v]) => `${toHex(rs)}${v.toString(16).padStart(2, '0')}` as Hex);
const walletSignature = fc.uint8Array({ minLength: 66, maxLength: 200 }).map((b) => toHex(b) as Hex);
const row = (signature: fc.Arbitrary<Hex>) =>
  fc.record({ paymentId: fc.constant('p'), from: address, to: address, value: uint256, validAfter: uint256, validBefore: uint256, nonce: bytes32, signature });

/** What the worker sent before calldata was encoded by hand: viem's encoding of the same overloads. */
function viemCalldata(r: SettlementRow): Hex {
  const base = [r.from, r.to, r.value, r.validAfter, r.validBefore, r.nonce] as const;
  if ((r.signature.length - 2) / 2 === 65) {
    const { r: sr, s, v, yParity } = parseSignature(r.signature);
    return encodeFunctionData({ abi: eip3009Abi, functionName: 'transferWithAuthorization', args: [...base, Number(v ?? BigInt(yParity + 27)), sr, s] });
  }
  return encodeFunctionData({ abi: eip3009Abi, functionName: 'transferWithAuthorization', args: [...base, r.signature] });
}

describe('settlement calldata', () => {
  it('encodes ECDSA rows (v, r, s overload) and wallet rows (bytes overload) exactly as viem does', () => {
    fc.assert(fc.property(row(fc.oneof(ecdsa, walletSignature)), (r) => transferCalldata(r) === viemCalldata(r)), { numRuns: 400, seed: 17 });
  });

  it('a batch is viem aggregate3 of those calls; a lone row goes to the token directly', () => {
    const token = getAddress('0x' + '33'.repeat(20));
    const multicall3 = getAddress('0xca11bde05977b3631167028862be2a173976ca11');
    fc.assert(
      fc.property(fc.array(row(fc.oneof(ecdsa, walletSignature)), { minLength: 2, maxLength: 8 }), (rows) => {
        const call = batchCall(token, multicall3, rows);
        const expected = encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [rows.map((r) => ({ target: token, allowFailure: true, callData: viemCalldata(r) }))] });
        return call.to === multicall3 && call.kind === 'multicall' && call.data === expected;
      }),
      { numRuns: 100, seed: 19 },
    );
    fc.assert(fc.property(row(ecdsa), (r) => batchCall(token, multicall3, [r]).data === viemCalldata(r)), { numRuns: 50, seed: 23 });
  });

  it('reads AuthorizationUsed logs of the token as viem decodes them, skipping Transfer and foreign logs', () => {
    const token = getAddress('0x' + '44'.repeat(20));
    const other = getAddress('0x' + '55'.repeat(20));
    fc.assert(
      fc.property(fc.array(fc.tuple(address, bytes32, fc.boolean(), address), { maxLength: 10 }), (events) => {
        const logs: Log[] = [];
        events.forEach(([authorizer, nonce, foreign, to], i) => {
          logs.push({ address: token, topics: encodeEventTopics({ abi: eip3009Abi, eventName: 'Transfer', args: { from: authorizer, to } }), data: toHex(1n, { size: 32 }), logIndex: 2 * i } as unknown as Log);
          logs.push({ address: foreign ? other : token, topics: encodeEventTopics({ abi: eip3009Abi, eventName: 'AuthorizationUsed', args: { authorizer, nonce } }), data: '0x', logIndex: 2 * i + 1 } as unknown as Log);
        });
        const expected = new Map<string, number>();
        for (const log of logs) {
          if (log.address !== token) continue;
          const ev = decodeEventLog({ abi: eip3009Abi, data: log.data, topics: log.topics });
          if (ev.eventName === 'AuthorizationUsed') expected.set(authorizationKey(ev.args.authorizer, ev.args.nonce), log.logIndex!);
        }
        expect(authorizationsUsed(token, logs)).toEqual(expected);
      }),
      { numRuns: 200, seed: 29 },
    );
  });
});
