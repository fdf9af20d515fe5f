import fc from 'fast-check';
import { HttpRequestError, InternalRpcError, LimitExceededRpcError, RpcRequestError, TimeoutError, TransactionExecutionError } from 'viem';
import { keccak256, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { BUMP_PERCENT, bumpedFees, classifyRpcError, Fees, RpcError, signTx } from './transactions';
import type { Relayer, SettlementContext } from './settlement-context';

const gwei = (x: number): bigint => BigInt(Math.round(x * 1e9));
const fees = (maxFee: number, tip: number): Fees => ({ maxFeePerGas: gwei(maxFee), maxPriorityFeePerGas: gwei(tip) });

describe('bumpedFees (replacement of a stuck transaction)', () => {
  it('raises both fees by 20 % (+1 wei) over the stuck transaction when the market is lower', () => {
    expect(bumpedFees(fees(10, 1), fees(2, 0.5))).toEqual({ maxFeePerGas: gwei(12) + 1n, maxPriorityFeePerGas: gwei(1.2) + 1n });
  });

  it('follows the market when it moved further than the bump', () => {
    expect(bumpedFees(fees(10, 1), fees(50, 3))).toEqual(fees(50, 3));
  });

  it('takes each fee from whichever is higher, independently', () => {
    expect(bumpedFees(fees(10, 1), fees(5, 2))).toEqual({ maxFeePerGas: gwei(12) + 1n, maxPriorityFeePerGas: gwei(2) });
  });

  it('never leaves the fee cap below the tip', () => {
    // The market's tip jumped above the bumped cap.
    const out = bumpedFees(fees(1, 0.5), fees(0.9, 3));
    expect(out.maxPriorityFeePerGas).toBe(gwei(3));
    expect(out.maxFeePerGas).toBe(gwei(3));
  });

  it('moves off zero fees (a 0-wei tip still gets replaced)', () => {
    expect(bumpedFees({ maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n })).toEqual({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
  });

  it('without a cap keeps raising (the arithmetic the cap bounds)', () => {
    expect(bumpedFees(fees(1_000, 500), fees(1, 1))).toEqual({ maxFeePerGas: gwei(1_200) + 1n, maxPriorityFeePerGas: gwei(600) + 1n });
  });

  it('never bids above the cap (TX_MAX_FEE_GWEI): the fee cap is clamped, the tip kept below it', () => {
    expect(bumpedFees(fees(180, 100), fees(1, 1), gwei(200))).toEqual({ maxFeePerGas: gwei(200), maxPriorityFeePerGas: gwei(120) + 1n });
    expect(bumpedFees(fees(170, 170), fees(1, 1), gwei(200))).toEqual(fees(200, 200));
  });

  it('gives up replacing (null) when the cap leaves less than the +10 % a node requires', () => {
    expect(bumpedFees(fees(190, 1), fees(1, 1), gwei(200))).toBeNull();
    expect(bumpedFees(fees(200, 10), fees(300, 20), gwei(200))).toBeNull();
  });

  it('stops within a bounded number of replacements: repeated bumps under a cap end at null, never above it', () => {
    const wei = fc.bigInt({ min: 0n, max: 10n ** 12n });
    fc.assert(
      fc.property(wei, wei, fc.bigInt({ min: 1n, max: 10n ** 12n }), (f0, t0, cap) => {
        let current: Fees = { maxFeePerGas: f0 > cap ? cap : f0, maxPriorityFeePerGas: t0 > cap ? cap : t0 };
        const market = { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n };
        let n = 0;
        for (;;) {
          const next = bumpedFees(current, market, cap);
          if (!next) break;
          expect(next.maxFeePerGas).toBeLessThanOrEqual(cap);
          expect(next.maxPriorityFeePerGas).toBeLessThanOrEqual(next.maxFeePerGas);
          expect(next.maxFeePerGas * 10n).toBeGreaterThanOrEqual(current.maxFeePerGas * 11n);
          expect(next.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(current.maxPriorityFeePerGas * 11n);
          current = next;
          n++;
          // ×1.1 at least per step from ≥ 1 wei: ≤ log1.1(10^12) + a few steps.
          expect(n).toBeLessThan(400);
        }
      }),
    );
  });

  it('always satisfies the replacement rule nodes enforce (+10 % on both fees) and never undercuts the market', () => {
    expect(BUMP_PERCENT).toBeGreaterThanOrEqual(10n);
    const wei = fc.bigInt({ min: 0n, max: 10n ** 15n });
    fc.assert(
      fc.property(wei, wei, wei, wei, (pf, pt, mf, mt) => {
        const previous = { maxFeePerGas: pf, maxPriorityFeePerGas: pt };
        const market = { maxFeePerGas: mf, maxPriorityFeePerGas: mt };
        const out = bumpedFees(previous, market);
        expect(out.maxFeePerGas * 10n).toBeGreaterThan(pf * 11n);
        expect(out.maxPriorityFeePerGas * 10n).toBeGreaterThan(pt * 11n);
        expect(out.maxFeePerGas).toBeGreaterThanOrEqual(mf);
        expect(out.maxPriorityFeePerGas).toBeGreaterThanOrEqual(mt);
        expect(out.maxFeePerGas).toBeGreaterThanOrEqual(out.maxPriorityFeePerGas);
        // Bumping again keeps climbing: repeated replacements are each accepted.
        const again = bumpedFees(out, market);
        expect(again.maxFeePerGas).toBeGreaterThan(out.maxFeePerGas);
        expect(again.maxPriorityFeePerGas).toBeGreaterThan(out.maxPriorityFeePerGas);
      }),
    );
  });
});

describe('classifyRpcError', () => {
  const rpc = (code: number, message: string) => new RpcRequestError({ body: { method: 'eth_sendRawTransaction' }, url: 'http://rpc.example', error: { code, message } });
  const kind = (e: unknown) => classifyRpcError(e).kind;

  it('returns an RpcError carrying the text of the failure', () => {
    const out = classifyRpcError(new Error('ECONNRESET while reading'));
    expect(out).toBeInstanceOf(RpcError);
    expect(out.message).toContain('ECONNRESET');
  });

  it('treats HTTP 429 and provider limit errors as rate-limited', () => {
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 429, body: { method: 'eth_sendRawTransaction' } }))).toBe('rate-limited');
    expect(kind(new LimitExceededRpcError(rpc(-32005, 'rate limited')))).toBe('rate-limited');
    expect(kind(new Error('Too Many Requests'))).toBe('rate-limited');
    expect(kind(new Error('429 Too Many Requests'))).toBe('rate-limited');
  });

  it('treats unreachable nodes, timeouts and 5xx as transient', () => {
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', details: 'fetch failed' }))).toBe('transient');
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 503 }))).toBe('transient');
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 502 }))).toBe('transient');
    expect(kind(new TimeoutError({ body: {}, url: 'http://rpc.example' }))).toBe('transient');
    expect(kind(new Error('connect ECONNREFUSED 127.0.0.1:8545'))).toBe('transient');
    expect(kind(new Error('socket hang up'))).toBe('transient');
    expect(kind(new Error('upstream answered 502 Bad Gateway'))).toBe('transient');
  });

  it('finds the HTTP status inside wrapped viem errors', () => {
    const wrapped = new TransactionExecutionError(new HttpRequestError({ url: 'http://rpc.example', status: 429 }) as never, {} as never);
    expect(kind(wrapped)).toBe('rate-limited');
  });

  it('treats client errors other than 408/429 as permanent (a bad RPC key does not heal by retrying)', () => {
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 401, details: 'Unauthorized' }))).toBe('permanent');
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 403 }))).toBe('permanent');
    expect(kind(new HttpRequestError({ url: 'http://rpc.example', status: 408 }))).toBe('transient');
  });

  it('treats node verdicts on the transaction as permanent', () => {
    expect(kind(new InternalRpcError(rpc(-32603, 'insufficient funds for gas * price + value')))).toBe('permanent');
    expect(kind(new Error('intrinsic gas too low'))).toBe('permanent');
    expect(kind(new Error('invalid sender'))).toBe('permanent');
  });

  it('does not read status codes into hashes and addresses', () => {
    expect(kind(new Error('execution reverted: authorization 0x8a5033de0b1c5004e… of 0x5029AbC is used'))).toBe('permanent');
    expect(kind(new Error('gas required exceeds allowance (0x5031f)'))).toBe('permanent');
  });
});

describe('signTx', () => {
  it('produces exactly the transaction and hash viem signTransaction does, batch-sized calldata included', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const relayer = { network: 'eip155:8453', address: account.address, id: account.address.toLowerCase(), account } as Relayer;
    const ctx = { network: () => ({ chainId: 8453 }) } as unknown as SettlementContext;
    for (const size of [0, 4, 70_000]) {
      const data = toHex(new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff));
      const tx = { to: account.address, data, gas: 21_000n + BigInt(size) * 16n, nonce: size, fees: fees(3, 1) };
      const ours = await signTx(ctx, relayer, tx);
      const viems = await account.signTransaction({
        type: 'eip1559', chainId: 8453, to: tx.to, data, gas: tx.gas, nonce: tx.nonce, value: 0n,
        maxFeePerGas: tx.fees.maxFeePerGas, maxPriorityFeePerGas: tx.fees.maxPriorityFeePerGas,
      });
      expect(ours.raw).toBe(viems);
      expect(ours.hash).toBe(keccak256(viems));
    }
  });
});
