/**
 * Helpers for the settlement scenario tests: polling, bulk settle, direct ledger inserts, anvil
 * controls, chain-side actors (payer cancelling or draining, a third party front-running), a worker
 * running as its own OS process, a JSON-RPC gate that can freeze a worker at a chosen call, and a
 * private redis-server.
 */
import { Address, createWalletClient, decodeEventLog, Hex, http, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, eip3009TokenAbi } from '@tollgate/devchain';
import { eventually, SettlementFixture, testApps, tokenBalance } from '@tollgate/testing';

// The worker process, redis-server and RPC gate helpers live in their own modules; importers keep
// using this one.
export * from './rpc-gate';
export * from './worker-process';

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export interface SettledPayment {
  ref: string;
  amount: bigint;
  payer: Address;
  nonce: Hex;
  body: any;
}

/** Signs and settles one payment per spec through the API (deferred); fails the test on any refusal. */
export async function settleMany(
  f: SettlementFixture,
  specs: Array<{ payerIndex?: number; amount?: bigint; validBefore?: bigint }>,
  concurrency = 8,
): Promise<SettledPayment[]> {
  // Sign sequentially: the fixture's seeded nonce generator is not re-entrant across awaits.
  const signed = [];
  for (const s of specs) signed.push({ s, ...(await f.sign(s)) });
  return mapLimit(signed, concurrency, async ({ s, body, payload }) => {
    const res = await f.settle(body);
    if (res.status !== 200 || res.body.success !== true) throw new Error(`settle refused: ${res.status} ${JSON.stringify(res.body)}`);
    return {
      ref: res.body.extensions.tollgate.reference as string,
      amount: s.amount ?? 10_000n,
      payer: payload.authorization.from as Address,
      nonce: payload.authorization.nonce as Hex,
      body,
    };
  });
}

export const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Statuses of `refs`, in order. */
export async function statuses(f: SettlementFixture, refs: string[]): Promise<string[]> {
  const rows: Array<{ reference: string; status: string }> = await f.api.db.query(`SELECT reference, status FROM payments WHERE reference = ANY($1)`, [refs]);
  const by = new Map(rows.map((r) => [r.reference, r.status]));
  return refs.map((r) => by.get(r) ?? 'missing');
}

export function countBy(xs: string[]): Record<string, number> {
  return xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
}

/** Waits until every payment of `refs` is in `status`. */
export function waitAll(f: SettlementFixture, refs: string[], status: string, timeoutMs = 30_000, extra?: () => Promise<string>): Promise<string[]> {
  return eventually(
    `${refs.length} payment(s) ${status}`,
    async () => {
      const s = await statuses(f, refs);
      return s.every((x) => x === status) ? s : undefined;
    },
    timeoutMs,
    async () => `${JSON.stringify(countBy(await statuses(f, refs)))}${extra ? ` ${await extra()}` : ''}`,
  );
}

/** Event history of a payment (its own rows and the batch steps listing it): `[from → to (reason)]`. */
export async function eventsOf(f: SettlementFixture, ref: string): Promise<Array<{ from_status: string | null; to_status: string; reason: string | null; detail: any }>> {
  return f.api.db.query(
    `SELECT e.from_status, e.to_status, e.reason, e.detail FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`,
    [ref],
  );
}

/**
 * Proves, from the chain, that every payment settled exactly once and that Postgres says where:
 * status `confirmed`, its recorded transaction succeeded in a canonical block, the log at its
 * `log_index` is `AuthorizationUsed(payer, nonce)`, and the authorization is spent on the token.
 */
export async function expectSettledOnChain(f: SettlementFixture, payments: SettledPayment[]): Promise<void> {
  const d = f.api.chain.deployment;
  const rows: Array<{ reference: string; status: string; tx_hash: Hex; log_index: number; block_hash: string }> = await f.api.db.query(
    `SELECT reference, status, tx_hash, log_index, block_hash FROM payments WHERE reference = ANY($1)`,
    [payments.map((p) => p.ref)],
  );
  const byRef = new Map(rows.map((r) => [r.reference, r]));
  const receipts = new Map<string, Awaited<ReturnType<typeof f.chain.public.getTransactionReceipt>>>();
  for (const p of payments) {
    const row = byRef.get(p.ref)!;
    expect({ ref: p.ref, status: row.status }).toEqual({ ref: p.ref, status: 'confirmed' });
    let receipt = receipts.get(row.tx_hash);
    if (!receipt) {
      receipt = await f.chain.public.getTransactionReceipt({ hash: row.tx_hash });
      receipts.set(row.tx_hash, receipt);
      expect(receipt.status).toBe('success');
      const canonical = await f.chain.public.getBlock({ blockNumber: receipt.blockNumber });
      expect(canonical.hash).toBe(receipt.blockHash);
    }
    expect(row.block_hash).toBe(receipt.blockHash.toLowerCase());
    const log = receipt.logs.find((l) => l.logIndex === row.log_index);
    expect(log).toBeDefined();
    const ev = decodeEventLog({ abi: eip3009TokenAbi, data: log!.data, topics: log!.topics });
    expect(ev.eventName).toBe('AuthorizationUsed');
    expect(((ev.args as any).authorizer as string).toLowerCase()).toBe(p.payer.toLowerCase());
    expect(((ev.args as any).nonce as string).toLowerCase()).toBe(p.nonce.toLowerCase());
    const used = await f.chain.public.readContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'authorizationState', args: [p.payer, p.nonce] });
    expect(used).toBe(true);
  }
}

/** Pauses or resumes the fixture's lane (the operator control in `lanes`): a paused lane never flushes. */
export async function setLanePaused(f: SettlementFixture, paused: boolean): Promise<void> {
  const d = f.api.chain.deployment;
  await f.api.db.query(
    `INSERT INTO lanes (network, asset, paused) VALUES ($1, $2, $3) ON CONFLICT (network, asset) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()`,
    [d.network, d.token.address.toLowerCase(), paused],
  );
}

/** Balance of the fixture's payTo, for before/after comparisons. */
export const payToBalance = (f: SettlementFixture): Promise<bigint> => tokenBalance(f, f.payTo);

// ---------------------------------------------------------------------------------------- anvil

export async function rpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** A funded outsider (not a relayer of ours) that can send transactions on the devchain. */
export async function outsider(f: SettlementFixture, key: Hex = generatePrivateKey()) {
  const d = f.api.chain.deployment;
  const account = privateKeyToAccount(key);
  await f.chain.test.setBalance({ address: account.address, value: parseEther('10') });
  const wallet = createWalletClient({ account, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
  return { account, wallet };
}

/** Sends a transaction and waits for its (successful) receipt; mines a block if automine is off. */
export async function sendAndMine(f: SettlementFixture, send: () => Promise<Hex>): Promise<Hex> {
  const hash = await send();
  if (!(await f.chain.test.getAutomine())) await f.chain.test.mine({ blocks: 1 });
  const receipt = await f.chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return hash;
}

/** The payer cancels one of its authorizations on chain (EIP-3009 cancelAuthorization, sent by the payer). */
export async function payerCancels(f: SettlementFixture, payerKey: Hex, nonce: Hex): Promise<Hex> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f, payerKey);
  const signature = await account.signTypedData({
    domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
    types: { CancelAuthorization: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
    primaryType: 'CancelAuthorization',
    message: { authorizer: account.address, nonce },
  });
  return sendAndMine(f, () =>
    wallet.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'cancelAuthorization', args: [account.address, nonce, signature] }),
  );
}

/** The payer moves its whole token balance to a fresh address. */
export async function payerDrains(f: SettlementFixture, payerKey: Hex): Promise<Hex> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f, payerKey);
  const balance = await tokenBalance(f, account.address);
  const sink = privateKeyToAccount(generatePrivateKey()).address;
  return sendAndMine(f, () => wallet.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'transfer', args: [sink, balance] }));
}

/** A third party settles the authorization of `body` straight on the token, before Tollgate does. */
export async function frontRun(f: SettlementFixture, body: any): Promise<{ hash: Hex; sender: Address }> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f);
  const a = body.paymentPayload.payload.authorization;
  const hash = await sendAndMine(f, () =>
    wallet.writeContract({
      address: d.token.address,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, body.paymentPayload.payload.signature],
    }),
  );
  return { hash, sender: account.address };
}

/**
 * Inserts a `queued` payment straight into Postgres, with the columns and event rows the API writes
 * (`/verify` would refuse the authorization, e.g. because its signature is corrupt).
 */
export async function insertQueuedPayment(f: SettlementFixture, body: any): Promise<string> {
  const d = f.api.chain.deployment;
  const req = body.paymentRequirements;
  const a = body.paymentPayload.payload.authorization;
  const reference = testApps().newPaymentReference();
  await f.api.db.transaction(async (m) => {
    const [{ id }] = await m.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                             valid_after, valid_before, expires_at, nonce, signature, status, settlement_mode, queued_at, requirements)
       VALUES ($1, $2, 2, 'exact', $3, $4, $5, $6, $7, $8, $9, to_timestamp($9::numeric), $10, $11, 'queued', 'deferred', now(), $12::jsonb)
       RETURNING id`,
      [
        reference,
        f.merchantId,
        d.network,
        d.token.address.toLowerCase(),
        a.from.toLowerCase(),
        a.to.toLowerCase(),
        a.value,
        a.validAfter,
        a.validBefore,
        a.nonce.toLowerCase(),
        body.paymentPayload.payload.signature.toLowerCase(),
        JSON.stringify({ payTo: req.payTo, amount: req.amount, asset: req.asset, maxTimeoutSeconds: req.maxTimeoutSeconds, extra: req.extra }),
      ],
    );
    await m.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, NULL, 'verified')`, [id]);
    await m.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, 'verified', 'queued')`, [id]);
  });
  return reference;
}
