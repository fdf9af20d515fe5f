import { loadSolanaFeePayerKeys, type WorkerConfig } from '@tollgate/config';
import { startSvmDevchain, SVM_DEVCHAIN_DECIMALS, type SvmDevchain } from '@tollgate/devchain';
import { buildSvmPayment } from '@tollgate/svm';
import { adminCall, createAdminUser, eventually, login, postJson, startFacilitator, testApps, workerConfigOf, type AdminSession, type FacilitatorFixture } from '@tollgate/testing';
import { SvmSettlementWorker, WorkerMetrics } from '../../worker/src';

/** A labelled explorer for the local devchain (never devnet's own explorer: devnet never saw these transactions). */
const EXPLORER = 'http://127.0.0.1:3000/local-explorer/tx/{tx}';

/**
 * The operator console on a served Solana network (issue #15), against the litesvm devchain: the Solana lane
 * per (network, mint) with its queued count and its red state when a queued payment nears its blockhash
 * deadline; each fee payer with its SOL balance and a low-balance alarm at the worker's own signing minimum;
 * a settled payment's detail with signature, slot, commitment, fee payer and explorer link; the lane gauges of
 * `/metrics` per Solana network and mint, and the worker's queue→inclusion/finality histograms per network.
 */
describe('operator console on Solana', () => {
  let svm: SvmDevchain;
  let f: FacilitatorFixture;
  let session: AdminSession;
  let auth: Record<string, string>;
  let worker: SvmSettlementWorker | undefined;

  beforeAll(async () => {
    svm = await startSvmDevchain({ payers: 1, feePayers: 2, merchants: 1 });
    f = await startFacilitator({
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: svm.url,
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: svm.feePayers.map((a) => a.address).join(','),
      SOLANA_MINTS_SOLANA_DEVNET: `${svm.mint}:6:USDC`,
      SOLANA_FEE_PAYER_MIN_LAMPORTS_SOLANA_DEVNET: '20000000',
      EXPLORER_TX_URL_SOLANA_DEVNET: EXPLORER,
    });
    const { apiKey } = await testApps().createMerchant(f.api.app, { name: 'Solana merchant', payTo: [svm.merchants[0].address as never] });
    auth = { authorization: `Bearer ${apiKey}` };
    const viewer = await createAdminUser(f, 'viewer');
    session = await login(f.api.baseUrl, viewer.username, viewer.password);
  });
  afterAll(async () => {
    await worker?.stop();
    await f?.stop();
    await svm?.stop();
  });

  const page = async (path: string): Promise<string> => {
    const res = await adminCall(f.api.baseUrl, path, { session });
    expect(res.status).toBe(200);
    return res.body as string;
  };
  /** The `<tr …>…</tr>` whose opening tag holds `attr`. */
  const row = (html: string, attr: string): string => {
    const at = html.indexOf(attr);
    if (at < 0) throw new Error(`no row with ${attr}`);
    return html.slice(html.lastIndexOf('<tr', at), html.indexOf('</tr>', at) + 5);
  };
  const lamportsOf = (address: string): bigint => (svm.chain.svm.getAccount(address as never) as unknown as { lamports: bigint }).lamports;

  it('shows the lane per network and mint, red near a blockhash deadline, the fee payers and their balances; settles and shows the payment', async () => {
    // Fee payer 1 holds less than the signing minimum (0.02 SOL here): the worker would not sign with it.
    const poor = svm.feePayers[1].address;
    svm.chain.svm.setAccount({ ...svm.chain.svm.getAccount(poor as never), lamports: 5_000_000n } as never);

    const req = { scheme: 'exact', network: svm.network, asset: svm.mint, amount: '4200', payTo: svm.merchants[0].address, maxTimeoutSeconds: 60, extra: { feePayer: svm.feePayers[0].address } };
    const transaction = await buildSvmPayment({
      payer: await svm.signer(svm.payers[0]),
      feePayer: svm.feePayers[0].address,
      mint: svm.mint,
      payTo: svm.merchants[0].address,
      amount: 4200n,
      decimals: SVM_DEVCHAIN_DECIMALS,
      blockhash: svm.chain.latestBlockhash(),
    });
    const settled = await postJson(`${f.api.baseUrl}/settle`, { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload: { transaction } }, paymentRequirements: req }, auth);
    expect(settled.body).toMatchObject({ success: true });
    const ref = settled.body.extensions.tollgate.reference as string;

    // No worker yet: the payment waits in its lane.
    const lane = `data-svm-lane="${svm.network}/${svm.mint}"`;
    let html = await page('/admin');
    expect(html).toContain('<h2>Solana lanes</h2>');
    expect(row(html, lane)).toMatch(/data-metric="queued">1</);
    expect(row(html, lane)).toContain('data-health="running"');
    // The EVM lanes table does not list the Solana lane.
    expect(html).not.toContain(`data-lane="${svm.network}/`);

    // A queued payment whose blockhash deadline is within the settlement window turns the lane red.
    const [{ expires_at: deadline }] = await f.api.db.query(`SELECT expires_at FROM payments WHERE reference = $1`, [ref]);
    await f.api.db.query(`UPDATE payments SET expires_at = now() + interval '5 seconds' WHERE reference = $1`, [ref]);
    html = await page('/admin');
    expect(row(html, lane)).toContain('data-health="stalled"');
    await f.api.db.query(`UPDATE payments SET expires_at = $2 WHERE reference = $1`, [ref, deadline]);

    // Per network and mint on /metrics too.
    const metrics = await (await fetch(`${f.api.baseUrl}/metrics`)).text();
    expect(metrics).toContain(`tollgate_lane_queued_payments{network="${svm.network}",asset="${svm.mint}"} 1`);
    expect(metrics).toContain(`tollgate_fee_payer_min_lamports{network="${svm.network}"} 20000000`);

    // The fee payers: balance in SOL as the chain holds it; the poor one flagged at the worker's minimum.
    const rich = svm.feePayers[0].address;
    expect(row(html, `data-fee-payer="${rich}"`)).toContain(`data-lamports="${lamportsOf(rich)}"`);
    expect(row(html, `data-fee-payer="${rich}"`)).toContain('data-balance="ok"');
    expect(row(html, `data-fee-payer="${rich}"`)).toMatch(/\d[\d,]*(\.\d+)? SOL/);
    expect(row(html, `data-fee-payer="${poor}"`)).toContain('data-balance="critical"');
    expect(row(html, `data-fee-payer="${poor}"`)).toContain('0.005 SOL');
    expect(html).toMatch(new RegExp(`Fee payer low on SOL.*${poor}`));
    const overview = await adminCall(f.api.baseUrl, '/admin/api/overview', { session });
    expect(overview.body.lanes.some((l: { network: string }) => l.network === svm.network)).toBe(false);
    expect(overview.body.solana.lanes).toEqual([expect.objectContaining({ network: svm.network, asset: svm.mint, symbol: 'USDC', queued: 1, family: 'svm', health: 'running' })]);
    expect(overview.body.solana.feePayers).toContainEqual(expect.objectContaining({ address: poor, balanceLamports: '5000000', minLamports: '20000000', balanceLevel: 'critical' }));

    // The worker settles it.
    const base = workerConfigOf(f.api);
    const keys = loadSolanaFeePayerKeys({ SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: svm.feePayers.map((k) => k.secretKey).join(',') }, base.solanaNetworks ?? []);
    const config: WorkerConfig = { ...base, solanaFeePayerKeys: keys, settlement: { ...base.settlement, tickMs: 100 } };
    const workerMetrics = new WorkerMetrics();
    worker = await SvmSettlementWorker.start(config, { rebroadcastMs: 500, onLanded: (e) => workerMetrics.observeSvmLanded(e) });
    const p = await eventually('the Solana payment confirmed', async () => {
      const [r] = await f.api.db.query(`SELECT id, status, tx_hash, block_number::text FROM payments WHERE reference = $1`, [ref]);
      return r?.status === 'confirmed' && r;
    });
    const [stored] = await f.api.db.query(`SELECT signature, fee_payer FROM svm_transactions WHERE payment_id = $1`, [p.id]);
    expect(stored).toEqual({ signature: p.tx_hash, fee_payer: rich });
    // The worker's queue→inclusion and queue→finality histograms, per network as on EVM.
    const timings = await workerMetrics.registry.metrics();
    expect(timings).toContain(`tollgate_payment_queued_to_included_seconds_count{network="${svm.network}"} 1`);
    expect(timings).toContain(`tollgate_payment_queued_to_confirmed_seconds_count{network="${svm.network}"} 1`);

    // The payment page: signature with its explorer link, slot, commitment, fee payer.
    html = await page(`/admin/payments/${ref}`);
    expect(html).toContain(`<code data-signature>${p.tx_hash}</code>`);
    expect(html).toContain(`href="${EXPLORER.replace('{tx}', p.tx_hash)}"`);
    expect(html).toContain(`<td data-slot>${p.block_number}</td>`);
    expect(html).toMatch(/<td data-commitment>finalized/);
    expect(html).toContain(`<code data-fee-payer>${rich}</code>`);
    expect(html).not.toContain('Not broadcast yet.');

    // The admin API carries the same detail.
    const api = await adminCall(f.api.baseUrl, `/admin/api/payments/${ref}`, { session });
    expect(api.body.solana).toMatchObject({ signature: p.tx_hash, slot: p.block_number, commitment: 'finalized', feePayer: rich });

    // Back on the overview: the lane is empty and running, nothing in flight for the fee payer.
    html = await page('/admin');
    expect(row(html, lane)).toMatch(/data-metric="queued">0</);
    expect(row(html, lane)).toContain('data-health="running"');
    expect(row(html, `data-fee-payer="${rich}"`)).toMatch(/data-metric="in-flight">0</);
  });
});
