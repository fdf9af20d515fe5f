/**
 * Set-based seed of a console-volume database: `n` payments over the last 3 days with their full event
 * history, 20 merchants (one holding half the payments), 3 networks (one rare), 2 assets, 50k payers,
 * batches of 100. Status mix: the last 2 minutes open (verified … included), older ones 95 % confirmed,
 * 3 % failed, 2 % lapsed. Runs in a few minutes for 1 M payments (≈ 5.6 M events).
 */
import type { DataSource } from 'typeorm';

// Lane by batch (i / 100), so each batch holds one lane's payments.
const NETWORKS = `CASE WHEN (i / 100) % 20 = 19 THEN 'eip155:1' WHEN (i / 100) % 4 = 1 THEN 'eip155:84532' ELSE 'eip155:8453' END`;
const MERCHANT = `CASE WHEN i % 2 = 0 THEN 0 ELSE i % 20 END`;
const ASSET = `'0x' || substr(md5('asset' || ((i / 100) % 2)) || md5('a'), 1, 40)`;
const BATCH = `md5('batch' || (i / 100))::uuid`;
const TX = `'0x' || md5('tx' || (i / 100)) || md5('ty' || (i / 100))`;


/** Seeds `n` payments (and merchants, relayers, batches, events) into an empty migrated database. */
export async function seedConsoleVolume(ds: DataSource, n: number, log: (s: string) => void): Promise<void> {
  const step = async (label: string, sql: string, params: unknown[] = []): Promise<void> => {
    const t = Date.now();
    await ds.query(sql, params);
    log(`  ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  await step(
    'merchants',
    `INSERT INTO merchants (id, name, created_at) SELECT md5('merchant' || m)::uuid, 'Merchant ' || m, now() - interval '30 days' + m * interval '1 hour'
       FROM generate_series(0, 19) m`,
  );
  await step(
    'pay-to',
    `INSERT INTO merchant_pay_to (merchant_id, address) SELECT md5('merchant' || m)::uuid, '0x' || substr(md5('payto' || m) || md5('p'), 1, 40) FROM generate_series(0, 19) m`,
  );
  await step(
    'relayers',
    `INSERT INTO relayers (network, address, next_nonce) SELECT net, '0x' || lpad(regexp_replace(net, '\\D', '', 'g'), 40, '0'), 1000000
       FROM unnest(ARRAY['eip155:1', 'eip155:84532', 'eip155:8453']) net`,
  );
  // Batch k holds payments 100k … 100k + 99 (those that got that far); fees and gas as a multicall of 100.
  await step(
    'batches',
    `INSERT INTO settlement_batches (id, network, asset, relayer, status, kind, payment_count, nonce, gas_used, fee_paid, tx_hash, block_number,
                                     created_at, submitted_at, included_at, confirmed_at)
     SELECT ${BATCH}, ${NETWORKS}, ${ASSET}, '0x' || lpad(regexp_replace(${NETWORKS}, '\\D', '', 'g'), 40, '0'),
            CASE WHEN open THEN 'submitted' ELSE 'confirmed' END, 'multicall', 100, i / 100, 3000000, 3000000000000, ${TX}, 1000000 + i / 100,
            t + interval '2 seconds', t + interval '3 seconds', CASE WHEN NOT open THEN t + interval '5 seconds' END,
            CASE WHEN NOT open THEN t + interval '20 seconds' END
       FROM (SELECT i, now() - (i::float8 / $1) * interval '3 days' AS t, (i::float8 / $1) * 4320 < 3 AS open
               FROM generate_series(0, $1::int, 100) i) x`,
    [n],
  );
  // Payment i was created (i / n) × 3 days ago; the newest 2 minutes are still open.
  await step(
    'payments',
    `INSERT INTO payments (id, reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                           expires_at, nonce, signature, status, settlement_mode, failure_reason, failure_message, batch_id, tx_hash, log_index,
                           block_number, requirements, queued_at, included_at, confirmed_at, created_at, updated_at)
     SELECT md5('payment' || i)::uuid, 'pay_' || md5('ref' || i), md5('merchant' || (${MERCHANT}))::uuid, 2, 'exact', ${NETWORKS}, ${ASSET},
            '0x' || substr(md5('payer' || (i % 50000)) || md5('p'), 1, 40), '0x' || substr(md5('payto' || (${MERCHANT})) || md5('p'), 1, 40), 1000 + i % 9000, 0, 4102444800,
            t + interval '1 hour', '0x' || md5('n' || i) || md5('m' || i), '0x', s, 'deferred',
            CASE s WHEN 'failed' THEN (ARRAY['insufficient_funds', 'simulation_failed', 'authorization_used'])[1 + i % 3] WHEN 'lapsed' THEN 'expired' END,
            CASE WHEN s IN ('failed', 'lapsed') THEN 'seeded' END,
            CASE WHEN s IN ('batched', 'submitted', 'included', 'confirmed') THEN ${BATCH} END,
            CASE WHEN s IN ('included', 'confirmed') THEN ${TX} END, CASE WHEN s IN ('included', 'confirmed') THEN i % 100 END,
            CASE WHEN s IN ('included', 'confirmed') THEN 1000000 + i / 100 END, '{}'::jsonb,
            CASE WHEN s <> 'verified' THEN t + interval '1 second' END, CASE WHEN s IN ('included', 'confirmed') THEN t + interval '5 seconds' END,
            CASE WHEN s = 'confirmed' THEN t + interval '20 seconds' END, t, t + interval '20 seconds'
       FROM (SELECT i, now() - (i::float8 / $1) * interval '3 days' AS t,
                    CASE WHEN (i::float8 / $1) * 4320 < 2 THEN (ARRAY['verified', 'queued', 'batched', 'submitted', 'included'])[1 + i % 5]
                         WHEN i % 100 < 3 THEN 'failed' WHEN i % 100 < 5 THEN 'lapsed' ELSE 'confirmed' END AS s
               FROM generate_series(1, $1::int) i) x`,
    [n],
  );
  // Every transition each payment went through, one row each, as the ledger wrote them before migration
  // 1764020000000 (older history keeps that shape; the readers serve both). A payment still `verified` is a new
  // one: its acceptance is its row, counted by the payments trigger, so it gets no `→ verified` event.
  await step(
    'events',
    `INSERT INTO payment_events (payment_id, from_status, to_status, reason, detail, created_at)
     SELECT p.id, s.from_status, CASE WHEN s.k = 3 AND p.status IN ('failed', 'lapsed') THEN p.status ELSE s.to_status END,
            CASE WHEN s.k = 3 AND p.status IN ('failed', 'lapsed') THEN p.failure_reason END,
            CASE WHEN s.to_status = 'batched' AND p.batch_id IS NOT NULL THEN jsonb_build_object('batchId', p.batch_id) END,
            p.created_at + s.off
       FROM payments p
       JOIN LATERAL (VALUES (1, NULL, 'verified', interval '0'), (2, 'verified', 'queued', interval '1 second'), (3, 'queued', 'batched', interval '2 seconds'),
                            (4, 'batched', 'submitted', interval '3 seconds'), (5, 'submitted', 'included', interval '5 seconds'),
                            (6, 'included', 'confirmed', interval '20 seconds')) s(k, from_status, to_status, off)
         ON s.k <= CASE p.status WHEN 'verified' THEN 1 WHEN 'queued' THEN 2 WHEN 'batched' THEN 3 WHEN 'submitted' THEN 4 WHEN 'included' THEN 5
                                 WHEN 'confirmed' THEN 6 ELSE 3 END
                AND (s.k > 1 OR p.status <> 'verified')`,
  );
  await step('analyze', `ANALYZE`);
}
