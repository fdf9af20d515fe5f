import { Hex } from 'viem';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import {
  eventsOf,
  expectSettledOnChain,
  frontRun,
  insertQueuedPayment,
  payerCancels,
  payerDrains,
  payToBalance,
  rpc,
  settleMany,
  statuses,
  sum,
  waitAll,
} from './settlement-support';

/**
 * One full batch of 100 in which five rows can no longer succeed, each for a different reason.
 * What a merchant sees: the 95 good payments confirm together in one Multicall3 transaction that
 * does not revert, and each bad one fails with its own reason — without a single row having been
 * sent on chain to fail (the pre-submission simulation drops them, so they burn no gas).
 */
describe('a batch of 100 with five bad rows', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_SIZE: '100', BATCH_MAX_WAIT_MS: '200', SETTLEMENT_MAX_ATTEMPTS: '3' });
  });
  afterAll(() => f?.stop());

  it('settles the 95 good rows in one successful transaction and fails each bad row with its reason', async () => {
    const d = f.api.chain.deployment;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const before = await payToBalance(f);

    // The worker is stopped while the rows are prepared, so that all 100 land in one batch.
    expect(f.worker).toBeUndefined();
    const good = await settleMany(
      f,
      Array.from({ length: 95 }, (_, i) => ({ payerIndex: i % 3, amount: 1_000n + BigInt(i) })),
    );
    // validBefore 60 s out: valid at verify (window 30 s), expired once the chain clock jumps 120 s.
    const [expiring] = await settleMany(f, [{ payerIndex: 0, amount: 501n, validBefore: now + 60n }]);
    const [cancelled] = await settleMany(f, [{ payerIndex: 3, amount: 502n }]);
    const [drained] = await settleMany(f, [{ payerIndex: 4, amount: 503n }]);
    const [usedElsewhere] = await settleMany(f, [{ payerIndex: 5, amount: 504n }]);

    // Bad signature: /verify would refuse it, so it goes into Postgres the way the API writes rows.
    const { body: badBody } = await f.sign({ payerIndex: 1, amount: 505n });
    const sig = badBody.paymentPayload.payload.signature as Hex;
    const flipped = (parseInt(sig.slice(10, 12), 16) ^ 0xff).toString(16).padStart(2, '0');
    badBody.paymentPayload.payload.signature = `${sig.slice(0, 10)}${flipped}${sig.slice(12)}`;
    const badSignature = await insertQueuedPayment(f, badBody);

    // Between /settle and the batch: the payer cancels, another payer drains its balance, a third
    // party settles one authorization itself, and the chain clock passes one validBefore.
    const cancelTx = await payerCancels(f, d.payers[3].privateKey, cancelled.nonce);
    await payerDrains(f, d.payers[4].privateKey);
    const front = await frontRun(f, usedElsewhere.body);
    await rpc(d.rpcUrl, 'evm_increaseTime', [120]);
    await rpc(d.rpcUrl, 'evm_mine', []);

    const all = [...good.map((g) => g.ref), expiring.ref, cancelled.ref, drained.ref, usedElsewhere.ref, badSignature];
    expect(await statuses(f, all)).toEqual(all.map(() => 'queued'));

    await f.startWorker();
    await waitAll(f, good.map((g) => g.ref), 'confirmed');
    const bad = [expiring.ref, cancelled.ref, drained.ref, usedElsewhere.ref, badSignature];
    await waitAll(f, bad, 'failed');

    // The 95 went out together, in one multicall that succeeded, each with its own log.
    const goodRows: Array<{ batch_id: string; tx_hash: string; log_index: number }> = await f.api.db.query(
      `SELECT batch_id, tx_hash, log_index FROM payments WHERE reference = ANY($1)`,
      [good.map((g) => g.ref)],
    );
    expect(new Set(goodRows.map((r) => r.batch_id)).size).toBe(1);
    expect(new Set(goodRows.map((r) => r.tx_hash)).size).toBe(1);
    expect(new Set(goodRows.map((r) => r.log_index)).size).toBe(95);
    const [batch] = await f.api.db.query(`SELECT kind, payment_count, status, replacements FROM settlement_batches WHERE id = $1`, [goodRows[0].batch_id]);
    expect(batch).toEqual({ kind: 'multicall', payment_count: 95, status: 'confirmed', replacements: 0 });
    await expectSettledOnChain(f, good);
    // payTo also received the front-runner's transfer (settled outside Tollgate, once).
    expect(await payToBalance(f)).toBe(before + sum(good.map((g) => g.amount)) + usedElsewhere.amount);

    // All 100 were claimed into that one batch first.
    const [{ claimed }] = await f.api.db.query(
      `SELECT count(*)::int AS claimed FROM tollgate_batch_payments($1::uuid)`,
      [goodRows[0].batch_id],
    );
    expect(claimed).toBe(100);

    // No settlement transaction of this test reverted.
    const txs: Array<{ tx_hash: Hex }> = await f.api.db.query(`SELECT tx_hash FROM relayer_transactions`);
    expect(txs.length).toBeGreaterThan(0);
    for (const t of txs) expect((await f.chain.public.getTransactionReceipt({ hash: t.tx_hash })).status).toBe('success');

    // Each bad row failed with its own reason, and none was ever put in a transaction.
    const failures = async (ref: string) => {
      const [row]: Array<{ failure_reason: string; failure_message: string; tx_hash: string | null }> = await f.api.db.query(
        `SELECT failure_reason, failure_message, tx_hash FROM payments WHERE reference = $1`,
        [ref],
      );
      const events = await eventsOf(f, ref);
      expect(events.map((e) => e.to_status)).not.toContain('submitted');
      expect(row.tx_hash).toBeNull();
      return { ...row, events };
    };
    expect((await failures(badSignature)).failure_reason).toBe('invalid_exact_evm_signature');
    expect((await failures(expiring.ref)).failure_reason).toBe('invalid_exact_evm_payload_authorization_valid_before');

    const c = await failures(cancelled.ref);
    expect(c.failure_reason).toBe('tollgate_authorization_cancelled');
    expect(c.events[c.events.length - 1].detail.txHash.toLowerCase()).toBe(cancelTx.toLowerCase());

    const u = await failures(usedElsewhere.ref);
    expect(u.failure_reason).toBe('tollgate_authorization_used_elsewhere');
    expect(u.failure_message).toContain(front.hash);
    const lastU = u.events[u.events.length - 1];
    expect(lastU.detail.txHash.toLowerCase()).toBe(front.hash.toLowerCase());
    expect(lastU.detail.sender.toLowerCase()).toBe(front.sender.toLowerCase());

    // A drained balance may be topped up: the row is retried (SETTLEMENT_MAX_ATTEMPTS = 3), then fails.
    const dr = await failures(drained.ref);
    expect(dr.failure_reason).toBe('invalid_exact_evm_insufficient_balance');
    expect(dr.events.filter((e) => e.from_status === 'batched' && e.to_status === 'queued' && e.reason === 'invalid_exact_evm_insufficient_balance')).toHaveLength(2);
    const [{ attempts }] = await f.api.db.query(`SELECT attempts FROM payments WHERE reference = $1`, [drained.ref]);
    expect(attempts).toBe(2);

    // The drained row's retries were dropped before submission: no batch without viable rows was sent.
    await eventually('no open batches', async () => {
      const [{ open }] = await f.api.db.query(`SELECT count(*)::int AS open FROM settlement_batches WHERE status IN ('building','submitted','included')`);
      return open === 0;
    });
    const sent = await f.api.db.query(`SELECT count(*)::int AS n FROM settlement_batches WHERE tx_hash IS NOT NULL`);
    expect(sent[0].n).toBe(1);
  });
});
