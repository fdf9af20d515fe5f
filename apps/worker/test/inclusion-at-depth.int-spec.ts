import { PaymentLedger } from '@tollgate/persistence';
import { eventually, merchantClient, SettlementFixture, startSettlement, startWebhookReceiver, WEBHOOK_TEST_ENV, WebhookReceiver } from '@tollgate/testing';
import { WebhookWorker } from '../src/webhook-worker';

/**
 * Issue #16 (write amplification): a batch whose block is already at the network's confirmation depth when
 * the tracker first sees the receipt (always at the devchain's depth 1) goes to `confirmed` in the
 * inclusion's transaction, each payment row written once; the history and the webhooks keep both steps.
 */
describe('inclusion at confirmation depth (real Postgres, Redis, anvil and an HTTP receiver)', () => {
  let f: SettlementFixture;
  let webhooks: WebhookWorker;
  let receiver: WebhookReceiver;
  let ledger: PaymentLedger;

  beforeAll(async () => {
    f = await startSettlement({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '200' }, 29);
    await f.startWorker();
    webhooks = await WebhookWorker.start(f.api.config, { concurrency: 4 });
    ledger = new PaymentLedger(f.api.db);
    receiver = await startWebhookReceiver();
    const created = await merchantClient(f.api.baseUrl, f.apiKey).post('/v1/merchant/webhook-endpoints', {
      url: receiver.url,
      eventTypes: ['payment.included', 'payment.confirmed'],
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await webhooks?.stop();
    await receiver?.close();
    await f?.stop();
  });

  async function settleOne(amount = 10_000n): Promise<string> {
    const { body } = await f.sign({ amount });
    const res = await f.settle(body);
    expect(res.body.success).toBe(true);
    return res.body.extensions.tollgate.reference;
  }

  async function pauseLane(paused: boolean): Promise<void> {
    const d = f.api.chain.deployment;
    await f.api.db.query(
      `INSERT INTO lanes (network, asset, paused) VALUES ($1, $2, $3) ON CONFLICT (network, asset) DO UPDATE SET paused = $3, updated_at = now()`,
      [d.network, d.token.address.toLowerCase(), paused],
    );
  }

  async function deliveriesSettled(ref: string): Promise<void> {
    await eventually(`deliveries of ${ref} to finish`, async () => {
      const [{ n }] = await f.api.db.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id WHERE p.reference = $1 AND d.status = 'pending'`,
        [ref],
      );
      return n === 0;
    });
  }

  async function deliveriesOf(ref: string): Promise<Array<{ event_type: string; n: number }>> {
    return f.api.db.query(
      `SELECT d.event_type, count(*)::int AS n FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id
        WHERE p.reference = $1 AND d.replay_of IS NULL GROUP BY d.event_type ORDER BY d.event_type`,
      [ref],
    );
  }

  it('a batch found at its confirmation depth writes each payment row once for included and confirmed; history and webhooks keep both steps, in order', async () => {
    // Through the worker (devchain depth 1): the inclusion is already deep enough when first seen.
    const ref = await settleOne(23_456n);
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    const events: Array<{ from_status: string; to_status: string; detail: Record<string, unknown> | null; tx: string }> = await f.api.db.query(
      `SELECT e.from_status, e.to_status, e.detail, (SELECT x.xmin::text FROM payment_events x WHERE x.id = e.id LIMIT 1) AS tx
         FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`,
      [ref],
    );
    expect(events.slice(-2).map((e) => `${e.from_status}->${e.to_status}`)).toEqual(['submitted->included', 'included->confirmed']);
    expect(events.at(-1)!.detail).toEqual({ confirmations: expect.stringMatching(/^[1-9]\d*$/), batchId: expect.any(String) });
    expect(events.at(-1)!.tx).toBe(events.at(-2)!.tx);
    const [row] = await f.api.db.query(`SELECT status, tx_hash, log_index, included_at, confirmed_at, xmin::text AS tx FROM payments WHERE reference = $1`, [ref]);
    expect(row).toMatchObject({ status: 'confirmed', tx: events.at(-1)!.tx, log_index: expect.any(Number) });
    expect(row.included_at).toBeInstanceOf(Date);
    expect(row.confirmed_at).toBeInstanceOf(Date);
    await deliveriesSettled(ref);
    const deliveries: Array<{ event_type: string; previous: string; status: string }> = await f.api.db.query(
      `SELECT d.event_type, d.snapshot->>'previousStatus' AS previous, d.snapshot->>'status' AS status FROM webhook_deliveries d
         JOIN payments p ON p.id = d.payment_id WHERE p.reference = $1 AND d.replay_of IS NULL ORDER BY d.created_at`,
      [ref],
    );
    expect(deliveries).toEqual([
      { event_type: 'payment.included', previous: 'submitted', status: 'included' },
      { event_type: 'payment.confirmed', previous: 'included', status: 'confirmed' },
    ]);

    // The ledger's two-edge transition, counted in its own transaction: one row version for both edges.
    await pauseLane(true);
    try {
      const queuedRef = await settleOne();
      const [{ id }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [queuedRef]);
      const updates = await f.api.db.transaction(async (m) => {
        const moved = await ledger.transition([id], 'queued', 'included', {
          reason: 'settled_by_earlier_transaction',
          patch: { tx_hash: `0x${'ef'.repeat(32)}`, log_index: 3, block_number: '9', block_hash: `0x${'12'.repeat(32)}`, included_at: new Date() },
          then: { to: 'confirmed', detail: { confirmations: '1' }, patch: { confirmed_at: new Date() } },
        }, m);
        expect(moved).toEqual([id]);
        const [{ n }] = await m.query(`SELECT n_tup_upd::int AS n FROM pg_stat_xact_user_tables WHERE relname = 'payments'`);
        return n;
      });
      expect(updates).toBe(1);
      expect((await f.statusOf(queuedRef)).status).toBe('confirmed');
      const steps = await f.api.db.query(`SELECT from_status, to_status, reason FROM payment_events WHERE payment_id = $1 ORDER BY id`, [id]);
      expect(steps.slice(-2)).toEqual([
        { from_status: 'queued', to_status: 'included', reason: 'settled_by_earlier_transaction' },
        { from_status: 'included', to_status: 'confirmed', reason: null },
      ]);
      // Replayed: nothing moves.
      expect(await ledger.transition([id], 'queued', 'included', { then: { to: 'confirmed' } })).toEqual([]);
      // Delivered before the endpoint is deleted (afterEach), as in the other tests.
      await deliveriesSettled(queuedRef);
      expect((await deliveriesOf(queuedRef)).map((d) => d.event_type)).toEqual(['payment.confirmed', 'payment.included']);
    } finally {
      await pauseLane(false);
    }
  });
});
