import { DataSource } from 'typeorm';
import { createTestDatabase } from '@tollgate/testing';
import { RelayerTransactionStore } from './settlement/relayer-transaction-store';
import { SettlementBatchStore } from './settlement/settlement-batch-store';
import { NOW } from './status-writer';
import { WebhookDeliveryStore } from './webhooks/webhook-delivery-store';

/** Each writer moves a row only from an expected status; from any other it writes nothing and says so. */
describe('status writers (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const relayer = '0x00000000000000000000000000000000000000aa';

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    await ds.query(`INSERT INTO relayers (network, address, next_nonce) VALUES ('testnet', $1, 0)`, [relayer]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const newBatch = async (status: string): Promise<string> =>
    (await ds.query(`INSERT INTO settlement_batches (network, asset, relayer, status, payment_count) VALUES ('testnet', '0xasset', $1, $2, 3) RETURNING id`, [relayer, status]))[0].id;
  const batchRow = async (id: string) =>
    (await ds.query(`SELECT status, failure_reason, payment_count, tx_hash, submitted_at, updated_at FROM settlement_batches WHERE id = $1`, [id]))[0];

  describe('SettlementBatchStore', () => {
    const batches = new SettlementBatchStore();

    it('moves a batch in an expected status, writing the patch and updated_at', async () => {
      const id = await newBatch('building');
      const before = await batchRow(id);
      expect(await batches.transition(ds, id, 'building', 'submitted', { tx_hash: '0xabc', payment_count: 2, submitted_at: NOW })).toBe(true);
      const after = await batchRow(id);
      expect(after).toMatchObject({ status: 'submitted', tx_hash: '0xabc', payment_count: 2 });
      expect(after.submitted_at).toBeInstanceOf(Date);
      expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
    });

    it('moves nothing from the wrong status and returns false', async () => {
      const id = await newBatch('submitted');
      const before = await batchRow(id);
      expect(await batches.transition(ds, id, 'building', 'failed', { failure_reason: 'no_viable_rows', payment_count: 0 })).toBe(false);
      expect(await batchRow(id)).toEqual(before);
    });

    it('refuses an edge the state machine does not have, before touching the database', async () => {
      const id = await newBatch('confirmed');
      await expect(batches.transition(ds, id, 'confirmed', 'submitted')).rejects.toThrow('illegal settlement batch transition confirmed -> submitted');
      expect((await batchRow(id)).status).toBe('confirmed');
    });
  });

  describe('RelayerTransactionStore', () => {
    const txs = new RelayerTransactionStore();
    let batchId: string;
    const store = (hash: string, nonce: number, status: string) =>
      ds.query(
        `INSERT INTO relayer_transactions (batch_id, network, relayer, nonce, purpose, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, status, broadcast_at)
         VALUES ($1, 'testnet', $2, $3, 'settle', $4, '0x', 21000, 1, 1, $5, now())`,
        [batchId, relayer, nonce, hash, status],
      );
    const statusOf = async (hash: string) => (await ds.query(`SELECT status, broadcast_at FROM relayer_transactions WHERE tx_hash = $1`, [hash]))[0];

    beforeAll(async () => {
      batchId = await newBatch('submitted');
      await store('0x01', 7, 'pending');
      await store('0x02', 7, 'pending');
      await store('0x03', 7, 'dropped');
    });

    it('moves only the selected versions that are in an expected status, and names them', async () => {
      expect(await txs.transition(ds, { batchId, exceptTxHash: '0x02' }, 'pending', 'replaced')).toEqual(['0x01']);
      expect((await statusOf('0x01')).status).toBe('replaced');
      expect((await statusOf('0x02')).status).toBe('pending');
      expect((await statusOf('0x03')).status).toBe('dropped');
    });

    it('moves nothing from the wrong status and returns no hash', async () => {
      expect(await txs.transition(ds, { txHash: '0x03' }, 'pending', 'replaced')).toEqual([]);
      expect((await statusOf('0x03')).status).toBe('dropped');
    });

    it('revives a version with its patch (broadcast clock restarted)', async () => {
      expect(await txs.transition(ds, { nonceOf: { network: 'testnet', relayer, nonce: 7 }, txHash: '0x03' }, ['dropped', 'replaced', 'included'], 'pending', { broadcast_at: null })).toEqual(['0x03']);
      expect(await statusOf('0x03')).toEqual({ status: 'pending', broadcast_at: null });
    });

    it('refuses a selector that would select every transaction', async () => {
      await expect(txs.transition(ds, { neverBroadcast: true }, 'pending', 'dropped')).rejects.toThrow('needs a batch, a hash or a nonce');
    });
  });

  describe('WebhookDeliveryStore', () => {
    const deliveries = new WebhookDeliveryStore();
    let merchantId: string;
    let endpointId: string;
    const newDelivery = async (status: string): Promise<string> =>
      (
        await ds.query(
          `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot, status, locked_until)
           VALUES ($1, $2, 'payment.queued', gen_random_uuid()::text, now(), '{}'::jsonb, $3, now() + interval '1 minute') RETURNING id`,
          [endpointId, merchantId, status],
        )
      )[0].id;
    const row = async (id: string) => (await ds.query(`SELECT status, last_error, attempt_count, completed_at, locked_until FROM webhook_deliveries WHERE id = $1`, [id]))[0];

    beforeAll(async () => {
      [{ id: merchantId }] = await ds.query(`INSERT INTO merchants (name) VALUES ('writer test') RETURNING id`);
      [{ id: endpointId }] = await ds.query(
        `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext) VALUES ($1, 'https://merchant.invalid/hook', ARRAY['payment.queued'], 'x') RETURNING id`,
        [merchantId],
      );
    });

    it('completes a delivery: status, patch, completed_at, lock released', async () => {
      const id = await newDelivery('pending');
      expect(await deliveries.transition(ds, { id }, 'pending', 'succeeded', { attempt_count: 1, last_status_code: 200, last_error: null })).toEqual([id]);
      const after = await row(id);
      expect(after).toMatchObject({ status: 'succeeded', attempt_count: 1, last_error: null, locked_until: null });
      expect(after.completed_at).toBeInstanceOf(Date);
    });

    it('moves nothing from the wrong status (a succeeded delivery is never failed) and returns no id', async () => {
      const id = await newDelivery('succeeded');
      const before = await row(id);
      expect(await deliveries.transition(ds, { id }, ['pending', 'failed'], 'failed', { last_error: 'late' })).toEqual([]);
      expect(await row(id)).toEqual(before);
    });

    it('cancels only the pending deliveries of an endpoint', async () => {
      const pending = await newDelivery('pending');
      const done = await newDelivery('succeeded');
      expect(await deliveries.transition(ds, { endpointId }, 'pending', 'failed', { last_error: 'endpoint disabled' })).toEqual([pending]);
      expect((await row(pending)).status).toBe('failed');
      expect((await row(done)).status).toBe('succeeded');
    });

    it('refuses an edge back to pending', async () => {
      const id = await newDelivery('failed');
      await expect(deliveries.transition(ds, { id }, 'failed', 'pending')).rejects.toThrow('illegal webhook delivery transition failed -> pending');
    });
  });
});
