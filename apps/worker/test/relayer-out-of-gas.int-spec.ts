import { parseEther } from 'viem';
import { RPC_FAILURE_BACKOFF_MS } from '@tollgate/settlement';
import { eventsOf } from './settlement-support';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';

/** A permanent RPC error (relayers cannot pay for gas) gives the batch's payments back to the queue. */
describe('relayer out of gas', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '100' }, 23);
  });
  afterAll(() => f.stop());

  it('abandons the batch, re-queues its payments, and settles them once the relayers are funded again', async () => {
    const d = f.api.chain.deployment;
    for (const r of d.relayers) await f.chain.test.setBalance({ address: r.address, value: 0n });
    await f.startWorker();
    const { body } = await f.sign({ amount: 7_000n });
    const ref = (await f.settle(body)).body.extensions.tollgate.reference;

    const abandoned = await eventually('an abandoned batch', async () => {
      const [b] = await f.api.db.query(`SELECT id, failure_reason FROM settlement_batches WHERE status = 'failed' AND failure_reason LIKE 'rpc_error:%' LIMIT 1`);
      return b;
    });
    expect(abandoned.failure_reason).toMatch(/insufficient funds/i);
    const events = await eventsOf(f, ref);
    expect(events.some((e) => e.to_status === 'queued' && e.reason === 'tollgate_rpc_error')).toBe(true);
    const [row] = await f.api.db.query(`SELECT attempts FROM payments WHERE reference = $1`, [ref]);
    expect(row.attempts).toBe(0);
    // The lane backs off instead of building a doomed batch every tick: the next doomed batch (still unfunded)
    // is started only once RPC_FAILURE_BACKOFF_MS have passed since the first was abandoned, however fast
    // the scheduler ticks (every 50 ms here).
    const doomed = await eventually('a second abandoned batch', async () => {
      const rows: Array<{ created_at: Date; updated_at: Date }> = await f.api.db.query(
        `SELECT created_at, updated_at FROM settlement_batches WHERE failure_reason LIKE 'rpc_error:%' ORDER BY created_at`,
      );
      return rows.length >= 2 && rows;
    });
    expect(doomed[1].created_at.getTime() - doomed[0].updated_at.getTime()).toBeGreaterThanOrEqual(RPC_FAILURE_BACKOFF_MS - 50);

    for (const r of d.relayers) await f.chain.test.setBalance({ address: r.address, value: parseEther('100') });
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed', 30_000);
  });
});
