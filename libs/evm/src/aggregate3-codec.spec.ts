import fc from 'fast-check';
import { Address, decodeFunctionResult, encodeFunctionData, encodeFunctionResult, getAddress, Hex, toHex } from 'viem';
import { multicall3Abi } from './abis';
import { decodeAggregate3Result, encodeAggregate3 } from './aggregate3-codec';

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)) as Address);
const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => toHex(b) as Hex);

describe('aggregate3 codec', () => {
  it('encodes calls exactly as viem encodeFunctionData does', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ target: address, allowFailure: fc.boolean(), callData: bytes }), { maxLength: 12 }), (calls) => {
        return encodeAggregate3(calls) === encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [calls] });
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('decodes any answer exactly as viem decodeFunctionResult does', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ success: fc.boolean(), returnData: bytes }), { maxLength: 12 }), (results) => {
        const data = encodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', result: results });
        expect(decodeAggregate3Result(data)).toEqual(decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data }));
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('refuses malformed answers instead of misreading them', () => {
    const good = encodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', result: [{ success: true, returnData: `0x${'00'.repeat(31)}01` as Hex }] });
    expect(() => decodeAggregate3Result('0x')).toThrow(/truncated/);
    expect(() => decodeAggregate3Result(good.slice(0, good.length - 2) as Hex)).toThrow(/truncated/);
    expect(() => decodeAggregate3Result(`0x${'ff'.repeat(32)}` as Hex)).toThrow(/out-of-range/);
    // Words: array offset, length, tuple offset, then the tuple: success, bytes offset, length, data.
    const badBool = `${good.slice(0, 2 + 3 * 64)}${'0'.repeat(63)}2${good.slice(2 + 4 * 64)}` as Hex;
    expect(() => decodeAggregate3Result(badBool)).toThrow(/non-boolean/);
    expect(() => decodeAggregate3Result('0xzz' as Hex)).toThrow(/not hex/);
  });

  it('refuses to encode a call that is not an address or not whole bytes', () => {
    expect(() => encodeAggregate3([{ target: '0x12' as Address, allowFailure: true, callData: '0x' }])).toThrow(TypeError);
    expect(() => encodeAggregate3([{ target: getAddress('0x' + '11'.repeat(20)), allowFailure: true, callData: '0x123' as Hex }])).toThrow(TypeError);
  });
});
