import { Address, Hex, parseAbiItem } from 'viem';
import { eventually, postJson, startSettlement, startTestApi, SettlementFixture, TestApi, tokenBalance } from '@tollgate/testing';
import { countBy, mapLimit, payToBalance, spawnWorker, sum, WorkerProcess } from './settlement-support';

const PAYMENTS = 2_000;
const claimsOf = (w: WorkerProcess): string[] => [...w.stdout().matchAll(/^TOLLGATE_TEST_CLAIM (\S+)$/gm)].map((m) => m[1]);
const AUTHORIZATION_USED = parseAbiItem('event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)');

/**
 * Horizontal scale: two API processes and two worker processes share one Postgres database and one Redis
 * (one queue prefix) and nothing else — no leader, no partitioning of work, no coordination beyond them.
 * 2,000 payments are settled (deferred), alternating between the two APIs; both workers settle them from the
 * same lane with the same relayers. Nothing may be lost or settled twice: every payment ends `confirmed`,
 * with exactly one `included` and one `confirmed` event, one `AuthorizationUsed` log per authorization on
 * chain, and token balances that move by exactly what the ledger says.
 *
 * No timing is asserted: on 2 shared cores the deadlines below are generous and only say what was late.
 */
describe('two APIs and two workers against one database', () => {
  let f: SettlementFixture;
  let second: TestApi;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    // Batches small enough that both workers keep claiming, and a window that the slowest signing loop leaves.
    f = await startSettlement({ BATCH_MAX_SIZE: '50', BATCH_MAX_WAIT_MS: '200', BATCH_TICK_MS: '50' }, 41);
    second = await startTestApi({ sharing: f.api, env: f.env });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await second?.stop();
    await f?.stop();
  });

  it(`settles ${PAYMENTS} payments spread over both APIs, each exactly once`, async () => {
    const d = f.api.chain.deployment;
    const payers = d.payers.map((p) => p.address);
    const payersBefore = await Promise.all(payers.map((p) => tokenBalance(f, p)));
    const payToBefore = await payToBalance(f);

    workers.push(spawnWorker(f, {}, ['apps/worker/test/fixtures/claim-probe.ts']), spawnWorker(f, {}, ['apps/worker/test/fixtures/claim-probe.ts']));
    const logs = async () => `(logs: ${workers.map((w) => w.logFile).join(', ')})`;
    await Promise.all(workers.map((w) => w.ready()));
    await eventually('both workers scheduling', async () => workers.every((w) => w.stdout().includes('TOLLGATE_TEST_READY')), 60_000, logs);

    // Sign everything first (the fixture's seeded nonces are not re-entrant); an hour of validity, so that a
    // slow machine never lets an authorization come near its deadline while the test runs.
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const signed: Array<{ body: any; payer: Address; nonce: Hex; amount: bigint }> = [];
    for (let i = 0; i < PAYMENTS; i++) {
      const amount = 1_000n + BigInt(i);
      const { body, payload } = await f.sign({ payerIndex: i % payers.length, amount, validBefore });
      signed.push({ body, amount, payer: payload.authorization.from as Address, nonce: payload.authorization.nonce as Hex });
    }

    // Even payments through the first API, odd through the second, 16 in flight.
    const apis = [f.api, second];
    const refs = await mapLimit(signed, 16, async (p, i) => {
      const res = await postJson(`${apis[i % 2].baseUrl}/settle`, p.body, { authorization: `Bearer ${f.apiKey}` });
      if (res.status !== 200 || res.body.success !== true) throw new Error(`settle ${i} refused by API ${i % 2}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.extensions.tollgate.reference as string;
    });
    expect(new Set(refs).size).toBe(PAYMENTS);

    // Wait on the condition, with one generous deadline; the explanation names what was still open.
    const byStatus = async () => {
      const rows: Array<{ status: string; n: number }> = await f.api.db.query(`SELECT status, count(*)::int AS n FROM payments WHERE merchant_id = $1 GROUP BY status`, [f.merchantId]);
      return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
    };
    await eventually(`${PAYMENTS} payments confirmed`, async () => (await byStatus()).confirmed === PAYMENTS, 600_000, async () => `${JSON.stringify(await byStatus())} ${await logs()}`);

    // No payment of the merchant in any other state: nothing lost, nothing left behind, nothing extra.
    expect(await byStatus()).toEqual({ confirmed: PAYMENTS });

    // Every payment went through the pipeline once: one claim, one inclusion, one confirmation.
    const events: Array<{ to_status: string; n: number; payments: number }> = await f.api.db.query(
      `SELECT e.to_status, count(*)::int AS n, count(DISTINCT e.payment_id)::int AS payments
         FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e
        WHERE p.merchant_id = $1 AND e.to_status IN ('queued', 'batched', 'submitted', 'included', 'confirmed') GROUP BY e.to_status`,
      [f.merchantId],
    );
    for (const to of ['included', 'confirmed'])
      expect(events.find((e) => e.to_status === to)).toEqual({ to_status: to, n: PAYMENTS, payments: PAYMENTS });

    // Both workers built batches, never the same one.
    const [a, b] = workers.map(claimsOf);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((id) => b.includes(id))).toEqual([]);

    // On chain: each authorization used exactly once, and by the transaction the ledger names.
    const used = await f.chain.public.getLogs({ address: d.token.address, event: AUTHORIZATION_USED, fromBlock: 0n, toBlock: 'latest' });
    const usedCount = countBy(used.map((l) => `${l.args.authorizer!.toLowerCase()}:${l.args.nonce!.toLowerCase()}`));
    const ours = signed.map((p) => `${p.payer.toLowerCase()}:${p.nonce.toLowerCase()}`);
    expect(ours.filter((k) => usedCount[k] !== 1)).toEqual([]);
    const usedTx = new Map(used.map((l) => [`${l.args.authorizer!.toLowerCase()}:${l.args.nonce!.toLowerCase()}`, l.transactionHash.toLowerCase()]));
    const ledger: Array<{ payer: string; nonce: string; tx_hash: string; amount: string }> = await f.api.db.query(
      `SELECT payer, nonce, tx_hash, amount::text AS amount FROM payments WHERE merchant_id = $1`,
      [f.merchantId],
    );
    expect(ledger.filter((r) => usedTx.get(`${r.payer}:${r.nonce}`) !== r.tx_hash.toLowerCase())).toEqual([]);

    // Balances move by exactly what the ledger recorded: the payee gains the sum, each payer loses its own.
    const total = sum(ledger.map((r) => BigInt(r.amount)));
    expect(total).toBe(sum(signed.map((p) => p.amount)));
    expect(await payToBalance(f)).toBe(payToBefore + total);
    const payersAfter = await Promise.all(payers.map((p) => tokenBalance(f, p)));
    payers.forEach((p, i) => {
      const spent = sum(ledger.filter((r) => r.payer === p.toLowerCase()).map((r) => BigInt(r.amount)));
      expect({ payer: p, balance: payersAfter[i] }).toEqual({ payer: p, balance: payersBefore[i] - spent });
    });
  }, 900_000);
});
