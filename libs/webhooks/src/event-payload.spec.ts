import { Webhook } from 'standardwebhooks';
import { getAddress } from 'viem';
import { loadConfig } from '@tollgate/config';
import { paymentEventTypeFor, PaymentSnapshot, settlementEventTypeFor } from '@tollgate/persistence';
import { AssetDirectory, buildPayload, buildPaymentPayload } from './event-payload';
import { generateWebhookSecret, signWebhook } from './signer';

const USDC = '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913';

function snapshot(over: Partial<PaymentSnapshot> = {}): PaymentSnapshot {
  return {
    reference: 'pay_abcdefghijklmnopqrstuv',
    status: 'included',
    previousStatus: 'submitted',
    reason: null,
    network: 'eip155:8453',
    asset: USDC,
    payer: '0x' + '1a'.repeat(20),
    payTo: '0x' + '2b'.repeat(20),
    amount: '1234567',
    settlementMode: 'deferred',
    txHash: '0x' + 'ab'.repeat(32),
    logIndex: 3,
    blockNumber: '100',
    blockHash: '0x' + 'cd'.repeat(32),
    failureReason: null,
    failureMessage: null,
    attempts: 0,
    detail: null,
    ...over,
  };
}

describe('webhook payloads', () => {
  const assets = new AssetDirectory(loadConfig({ DEVCHAIN_FILE: '', NETWORKS: 'eip155:8453', RPC_URL_8453: 'http://127.0.0.1:1', RELAYER_PRIVATE_KEYS_8453: '0x' + '11'.repeat(32) }).networks);

  it('maps transitions to events: one per merchant-visible change, reorg distinguished', () => {
    expect(paymentEventTypeFor('queued', null)).toBe('payment.queued');
    expect(paymentEventTypeFor('queued', 'tollgate_row_not_executed')).toBe('payment.queued');
    expect(paymentEventTypeFor('queued', 'reorged')).toBe('payment.reorged');
    expect(paymentEventTypeFor('included', 'settled_by_earlier_transaction')).toBe('payment.included');
    expect(paymentEventTypeFor('confirmed', null)).toBe('payment.confirmed');
    expect(paymentEventTypeFor('failed', 'insufficient_funds')).toBe('payment.failed');
    for (const silent of ['verified', 'batched', 'submitted', 'lapsed'] as const) expect(paymentEventTypeFor(silent, null)).toBeNull();
  });

  it('carries reference, atomic and decimal amounts, network, asset, checksummed addresses, tx hash and log index', () => {
    const at = new Date('2025-02-03T04:05:06.789Z');
    const p = buildPaymentPayload('payment.included', at, snapshot(), assets);
    expect(p).toEqual({
      type: 'payment.included',
      timestamp: '2025-02-03T04:05:06.789Z',
      data: expect.objectContaining({
        reference: 'pay_abcdefghijklmnopqrstuv',
        status: 'included',
        previousStatus: 'submitted',
        network: 'eip155:8453',
        asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        symbol: 'USDC',
        amount: '1234567',
        amountDecimal: '1.234567',
        decimals: 6,
        transaction: '0x' + 'ab'.repeat(32),
        logIndex: 3,
        blockNumber: '100',
      }),
    });
    expect(p.data.payer).toBe(getAddress('0x' + '1a'.repeat(20)));
    expect(p.data.payTo).toBe(getAddress('0x' + '2b'.repeat(20)));
  });

  it('reorged events name the transaction that was reorganised away; unknown assets have no decimal amount', () => {
    const p = buildPaymentPayload(
      'payment.reorged',
      new Date(),
      snapshot({ status: 'queued', previousStatus: 'included', reason: 'reorged', txHash: null, logIndex: null, detail: { txHash: '0xdead', blockNumber: '99' } }),
      assets,
    );
    expect(p.data).toMatchObject({ transaction: null, reorgedTransaction: '0xdead', reorgedBlockNumber: '99', reason: 'reorged' });
    const unknown = buildPaymentPayload('payment.queued', new Date(), snapshot({ asset: '0x' + '99'.repeat(20) }), assets);
    expect(unknown.data).toMatchObject({ amount: '1234567', amountDecimal: null, decimals: null, symbol: null });
  });

  it('settlement.* events list one merchant’s payments of a batch, checksummed, with the batch totals; only EVM batch statuses map to them', () => {
    expect(settlementEventTypeFor('included')).toBe('settlement.included');
    expect(settlementEventTypeFor('confirmed')).toBe('settlement.confirmed');
    for (const other of ['queued', 'failed', 'submitted'] as const) expect(settlementEventTypeFor(other)).toBeNull();
    const tx = '0x' + 'ab'.repeat(32);
    const one = { payer: '0x' + '1a'.repeat(20), payTo: '0x' + '2b'.repeat(20), asset: USDC, network: 'eip155:8453', txHash: tx, blockNumber: '100' };
    const p = buildPayload('settlement.included', new Date('2025-02-03T04:05:06Z'), {
      batchId: 'b1', status: 'included', network: 'eip155:8453', asset: USDC, txHash: tx, blockNumber: '100', blockHash: '0x' + 'cd'.repeat(32), count: 2, amount: '3000000',
      payments: [
        { ...one, reference: 'pay_a', amount: '1000000', nonce: '0x' + '01'.repeat(32), logIndex: 1 },
        { ...one, reference: 'pay_b', amount: '2000000', nonce: '0x' + '02'.repeat(32), logIndex: 4 },
      ],
    }, assets);
    expect(p).toEqual({
      type: 'settlement.included',
      timestamp: '2025-02-03T04:05:06.000Z',
      data: {
        batchId: 'b1', status: 'included', network: 'eip155:8453', asset: getAddress(USDC), symbol: 'USDC', decimals: 6, transaction: tx, blockNumber: '100',
        count: 2, amount: '3000000', amountDecimal: '3',
        payments: [
          { reference: 'pay_a', payer: getAddress(one.payer), payTo: getAddress(one.payTo), asset: getAddress(USDC), amount: '1000000', nonce: '0x' + '01'.repeat(32), network: 'eip155:8453', transaction: tx, logIndex: 1, blockNumber: '100' },
          { reference: 'pay_b', payer: getAddress(one.payer), payTo: getAddress(one.payTo), asset: getAddress(USDC), amount: '2000000', nonce: '0x' + '02'.repeat(32), network: 'eip155:8453', transaction: tx, logIndex: 4, blockNumber: '100' },
        ],
      },
    });
  });

  it('is deterministic for a stored snapshot (every attempt and replay sends the same body)', () => {
    const at = new Date();
    expect(JSON.stringify(buildPayload('payment.confirmed', at, snapshot() as never, assets))).toBe(
      JSON.stringify(buildPayload('payment.confirmed', at, snapshot() as never, assets)),
    );
    expect(() => buildPayload('nope', at, {}, assets)).toThrow(/unknown webhook event type/);
  });

  it('signs per Standard Webhooks; during a rotation both secrets verify', () => {
    const [current, previous, stranger] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify(buildPaymentPayload('payment.included', new Date(), snapshot(), assets));
    const headers = signWebhook({ id: 'msg_1', timestamp: new Date(), body }, [current, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, { ...headers })).toMatchObject({ type: 'payment.included' });
    expect(new Webhook(previous).verify(body, { ...headers })).toMatchObject({ type: 'payment.included' });
    expect(() => new Webhook(stranger).verify(body, { ...headers })).toThrow(/No matching signature/);
    expect(() => new Webhook(current).verify(body.replace('1234567', '7654321'), { ...headers })).toThrow();
  });
});
