import { createWalletClient, erc20Abi, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain } from '@tollgate/devchain';
import { PaymentLedger } from '@tollgate/persistence';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { adminCall, AdminSession, createAdminToken, createAdminUser, failedButRecoverablePayment, login } from '@tollgate/testing';
import { executeOnChain, startTestApi } from '@tollgate/testing';

/**
 * The admin API over HTTP against a real API, Postgres, Redis and anvil: who may call it, CSRF, and the
 * semantics of every operator action (retry, void, pause/resume/flush, replace, merchants, webhook replay).
 */
describe('admin API', () => {
  let f: SettlementFixture;
  let operator: AdminSession;
  let viewer: AdminSession;
  let operatorToken: string;
  let viewerToken: string;
  let network: string;
  let asset: string;

  const call = (path: string, opts: Parameters<typeof adminCall>[2] = {}) => adminCall(f.api.baseUrl, path, opts);
  const statusOf = async (ref: string) => (await f.api.db.query(`SELECT status, failure_reason, failure_message FROM payments WHERE reference = $1`, [ref]))[0];
  const auditOf = (action: string, target: string) =>
    f.api.db.query(`SELECT actor, before, after, request_id FROM admin_audit_log WHERE action = $1 AND target_id = $2 ORDER BY id`, [action, target]);

  beforeAll(async () => {
    // Replacement only when an operator asks (the stuck-transaction timer is far away).
    // Retry, void and replace are carried out by the worker's operator-action consumer (started here; the
    // settlement worker only where a test needs batches): the API waits for its outcome up to 20 s.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', TX_REPLACE_AFTER_MS: '600000', ADMIN_ACTION_WAIT_MS: '20000' });
    await f.startOperatorActions();
    const d = f.api.chain.deployment;
    network = d.network;
    asset = d.token.address.toLowerCase();
    const op = await createAdminUser(f, 'operator', 'olivia');
    const vw = await createAdminUser(f, 'viewer', 'victor');
    [operator, viewer] = await Promise.all([login(f.api.baseUrl, op.username, op.password), login(f.api.baseUrl, vw.username, vw.password)]);
    operatorToken = await createAdminToken(f, 'operator', 'ops-bot');
    viewerToken = await createAdminToken(f, 'viewer', 'dash-bot');
  });
  afterAll(async () => {
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
  });

  it('refuses merchant keys on admin routes and admin credentials on merchant routes', async () => {
    expect((await call('/admin/api/overview')).status).toBe(401);
    expect((await call('/admin/api/overview', { bearer: f.apiKey })).status).toBe(401);
    // A merchant key next to a valid session is still refused: the header decides.
    expect((await call('/admin/api/overview', { bearer: f.apiKey, session: viewer })).status).toBe(401);
    expect((await call('/admin/queues/api/queues', { bearer: f.apiKey })).status).toBe(401);
    const page = await call('/admin/payments', { bearer: f.apiKey });
    expect(page.status).toBe(303);
    expect((await call('/admin/api/overview', { bearer: viewerToken })).status).toBe(200);
    expect((await call('/admin/api/overview', { session: viewer })).status).toBe(200);
    // Bull Board: same identities, read-only.
    expect((await call('/admin/queues')).status).toBe(303);
    const board = await call('/admin/queues/api/queues?activeQueue=settlement', { session: viewer });
    expect(board.status).toBe(200);
    expect(board.body.queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['settlement']));
    expect((await call('/admin/queues/api/queues/settlement/retry/failed', { method: 'PUT', session: operator })).status).toBe(405);

    const body = await f.validBody();
    const asMerchant = (headers: Record<string, string>) => fetch(`${f.api.baseUrl}/verify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect((await asMerchant({ cookie: operator.cookie })).status).toBe(401);
    expect((await asMerchant({ authorization: `Bearer ${operatorToken}` })).status).toBe(401);
  });

  it('a viewer reads everything and can act on nothing (403)', async () => {
    const { ref } = await failedButRecoverablePayment(f);
    const detail = await call(`/admin/api/payments/${ref}`, { session: viewer });
    expect(detail.status).toBe(200);
    // The paid resource URL the settle named (the test body's v2 resource.url), in the API and on the page.
    expect(detail.body.payment.resource).toBe('http://127.0.0.1/paid');
    expect((await call(`/admin/payments/${ref}`, { session: viewer })).body).toContain('<code>http://127.0.0.1/paid</code>');
    expect((await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', session: viewer })).status).toBe(403);
    expect((await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', bearer: viewerToken })).status).toBe(403);
    expect((await call(`/admin/api/lanes/${network}/${asset}/pause`, { method: 'POST', session: viewer, body: { reason: 'x' } })).status).toBe(403);
    expect((await statusOf(ref)).status).toBe('failed');
    expect(await auditOf('payment.retry', ref)).toEqual([]);
  });

  it('refuses a session action without its CSRF token, or with another session’s', async () => {
    const { ref } = await failedButRecoverablePayment(f);
    expect((await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', session: operator, withCsrf: false })).status).toBe(403);
    const forged = { cookie: operator.cookie, csrf: viewer.csrf };
    expect((await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', session: forged })).status).toBe(403);
    expect((await statusOf(ref)).status).toBe('failed');

    const ok = await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', session: operator });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, before: { status: 'failed', failure_reason: 'invalid_exact_evm_insufficient_balance' }, after: { status: 'queued' } });
    expect(await statusOf(ref)).toMatchObject({ status: 'queued', failure_reason: null });
    const [audit] = await auditOf('payment.retry', ref);
    expect(audit).toMatchObject({ actor: 'user:olivia', before: { status: 'failed' }, after: { status: 'queued' } });
    expect(audit.request_id).toEqual(expect.any(String));
    // The API recorded the request (who, when, what) with the same request id; the worker carried it out.
    expect(await auditOf('payment.retry.requested', ref)).toEqual([expect.objectContaining({ actor: 'user:olivia', request_id: audit.request_id })]);
    const action = await call(`/admin/api/actions/${ok.body.actionId}`, { session: viewer });
    expect(action.body).toMatchObject({ action: 'payment.retry', target_id: ref, actor: 'user:olivia', status: 'succeeded', message: `Payment ${ref} is queued again.` });
    const events = await f.api.db.query(
      `SELECT e.from_status, e.to_status, e.reason FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`,
      [ref],
    );
    expect(events[events.length - 1]).toEqual({ from_status: 'failed', to_status: 'queued', reason: 'operator_retry' });
  });

  it('an admin API token acts without CSRF (automation) and is audited as itself', async () => {
    const { ref } = await failedButRecoverablePayment(f);
    const res = await call(`/admin/api/payments/${ref}/retry`, { method: 'POST', bearer: operatorToken });
    expect(res.status).toBe(200);
    expect((await auditOf('payment.retry', ref))[0].actor).toBe('token:ops-bot');
    expect((await call('/admin/api/me', { bearer: operatorToken })).body).toMatchObject({ actor: 'token:ops-bot', role: 'operator', kind: 'token' });
  });

  it('without the worker, an action is recorded and answered 202 with its id; the worker carries it out when it is back', async () => {
    const { ref } = await failedButRecoverablePayment(f);
    await f.stopOperatorActions();
    const noWait = await startTestApi({ sharing: f.api, env: { ADMIN_ACTION_WAIT_MS: '0' } });
    try {
      const res = await adminCall(noWait.baseUrl, `/admin/api/payments/${ref}/retry`, { method: 'POST', bearer: operatorToken });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ ok: true, status: 'requested', actionId: expect.any(String) });
      expect((await statusOf(ref)).status).toBe('failed');
      expect(await auditOf('payment.retry.requested', ref)).toEqual([expect.objectContaining({ actor: 'token:ops-bot' })]);
      expect((await call(`/admin/api/actions/${res.body.actionId}`, { bearer: viewerToken })).body).toMatchObject({ status: 'requested' });

      await f.startOperatorActions();
      const done = await eventually('the worker to carry out the retry', async () => {
        const a = await call(`/admin/api/actions/${res.body.actionId}`, { bearer: viewerToken });
        return a.body.status === 'requested' ? null : a.body;
      });
      expect(done).toMatchObject({ status: 'succeeded', before: { status: 'failed' }, after: { status: 'queued' } });
      expect((await statusOf(ref)).status).toBe('queued');
      expect(await auditOf('payment.retry', ref)).toEqual([expect.objectContaining({ actor: 'token:ops-bot' })]);
    } finally {
      await noWait.stop();
      if (!f.operatorActions) await f.startOperatorActions();
    }
    expect((await call(`/admin/api/actions/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { bearer: viewerToken })).status).toBe(404);
  });

  it('retry answers 409 with the reason when the authorization can no longer succeed', async () => {
    const ledger = new PaymentLedger(f.api.db);
    const fail = async (ref: string) => {
      const [{ id }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [ref]);
      await ledger.transition([id], 'queued', 'failed', { reason: 'tollgate_row_not_executed', patch: { failure_reason: 'tollgate_row_not_executed' } });
    };
    const settle = async (o: Parameters<SettlementFixture['sign']>[0]) => {
      const s = await f.sign(o);
      const r = await f.settle(s.body);
      expect(r.body.success).toBe(true);
      return { ref: r.body.extensions.tollgate.reference as string, body: s.body };
    };

    // Still queued: nothing to retry.
    const queued = await settle({ payerIndex: 2 });
    let res = await call(`/admin/api/payments/${queued.ref}/retry`, { method: 'POST', bearer: operatorToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/only failed payments/);

    // Expires within the settlement window (30 s).
    const soon = await settle({ payerIndex: 2, validBefore: BigInt(Math.floor(Date.now() / 1000) + 33) });
    await fail(soon.ref);
    const validBefore = BigInt(soon.body.paymentPayload.payload.authorization.validBefore);
    await eventually('the authorization to be inside the settlement window', async () => validBefore - BigInt(Math.floor(Date.now() / 1000)) < 30n, 10_000);
    res = await call(`/admin/api/payments/${soon.ref}/retry`, { method: 'POST', bearer: operatorToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/expires in \d+ s/);

    // Someone else used the nonce on chain.
    const used = await settle({ payerIndex: 2 });
    await fail(used.ref);
    await executeOnChain(f.api, used.body);
    res = await call(`/admin/api/payments/${used.ref}/retry`, { method: 'POST', bearer: operatorToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/nonce is already used or cancelled/);

    // The payer moved their tokens away.
    const drained = await settle({ payerIndex: 3, amount: 5_000n });
    await fail(drained.ref);
    const d = f.api.chain.deployment;
    const payer = privateKeyToAccount(d.payers[3].privateKey);
    const wallet = createWalletClient({ account: payer, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
    await f.chain.test.setBalance({ address: payer.address, value: 10n ** 18n });
    const balance = await f.chain.public.readContract({ address: d.token.address, abi: erc20Abi, functionName: 'balanceOf', args: [payer.address] });
    const hash = await wallet.writeContract({ address: d.token.address, abi: erc20Abi, functionName: 'transfer', args: [f.payTo, balance] });
    await f.chain.public.waitForTransactionReceipt({ hash });
    res = await call(`/admin/api/payments/${drained.ref}/retry`, { method: 'POST', bearer: operatorToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/holds 0 atomic units but needs 5000/);
    for (const r of [soon, used, drained]) expect((await statusOf(r.ref)).status).toBe('failed');
  });

  it('void fails a payment not yet broadcast with tollgate_voided, and refuses once it is on the wire', async () => {
    const s = await f.sign({ payerIndex: 0 });
    const ref: string = (await f.settle(s.body)).body.extensions.tollgate.reference;
    expect((await call(`/admin/api/payments/${ref}/void`, { method: 'POST', session: operator, body: {} })).status).toBe(400);
    const res = await call(`/admin/api/payments/${ref}/void`, { method: 'POST', session: operator, body: { reason: 'customer refunded off-chain' } });
    expect(res.status).toBe(200);
    expect(await statusOf(ref)).toEqual({ status: 'failed', failure_reason: 'tollgate_voided', failure_message: 'voided by user:olivia: customer refunded off-chain' });
    expect((await call(`/admin/api/payments/${ref}/void`, { method: 'POST', session: operator, body: { reason: 'again' } })).status).toBe(409);
    expect(await auditOf('payment.void', ref)).toEqual([
      expect.objectContaining({ actor: 'user:olivia', before: { status: 'queued', batch_id: null }, after: expect.objectContaining({ status: 'failed', failure_reason: 'tollgate_voided' }) }),
    ]);

    // A payment whose transaction is broadcast cannot be voided: the chain cannot be stopped.
    const s2 = await f.sign({ payerIndex: 0 });
    const ref2: string = (await f.settle(s2.body)).body.extensions.tollgate.reference;
    const [{ id }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [ref2]);
    const ledger = new PaymentLedger(f.api.db);
    await ledger.transition([id], 'queued', 'batched');
    await ledger.transition([id], 'batched', 'submitted');
    const refused = await call(`/admin/api/payments/${ref2}/void`, { method: 'POST', bearer: operatorToken, body: { reason: 'too late' } });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/chain cannot be stopped/);
    expect((await statusOf(ref2)).status).toBe('submitted');
  });

  it('pause, flush and resume a lane through the lanes table', async () => {
    const lanePath = `/admin/api/lanes/${network}/${asset}`;
    const lane = async () => (await f.api.db.query(`SELECT paused, paused_reason, flush_requested_at FROM lanes WHERE network = $1 AND asset = $2`, [network, asset]))[0];
    expect((await call(`${lanePath}/pause`, { method: 'POST', session: operator, body: { reason: 'relayer top-up' } })).status).toBe(200);
    expect(await lane()).toMatchObject({ paused: true, paused_reason: 'relayer top-up' });
    const [audit] = await f.api.db.query(`SELECT before, after FROM admin_audit_log WHERE action LIKE 'lane.pause%' ORDER BY at DESC LIMIT 1`);
    expect(audit.after).toMatchObject({ paused: true, paused_reason: 'relayer top-up' });
    const overview = await call('/admin/api/overview', { session: viewer });
    expect(overview.body.lanes.find((l: { asset: string }) => l.asset === asset)).toMatchObject({ paused: true, pausedReason: 'relayer top-up' });
    const flushPaused = await call(`${lanePath}/flush`, { method: 'POST', session: operator });
    expect(flushPaused.status).toBe(409);
    expect(flushPaused.body.message).toMatch(/paused; resume it first/);
    expect((await call(`${lanePath}/resume`, { method: 'POST', session: operator })).status).toBe(200);
    expect(await lane()).toMatchObject({ paused: false, paused_reason: null, flush_requested_at: null });
    expect((await call(`${lanePath}/flush`, { method: 'POST', bearer: operatorToken })).status).toBe(200);
    expect((await lane()).flush_requested_at).toBeInstanceOf(Date);
    expect((await call(`/admin/api/lanes/${network}/0x${'1'.repeat(40)}/pause`, { method: 'POST', session: operator, body: {} })).status).toBe(404);
    const actions = await f.api.db.query(`SELECT action FROM admin_audit_log WHERE target_type = 'lane' ORDER BY id`);
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['lane.pause', 'lane.resume', 'lane.flush']);
    // Leave the lane unflagged for the next tests.
    await f.api.db.query(`UPDATE lanes SET flush_requested_at = NULL`);
  });

  it('creates and suspends merchants; their keys stop working; keys are listed by prefix only', async () => {
    const created = await call('/admin/api/merchants', { method: 'POST', session: operator, body: { name: 'Console merchant', payTo: ['0x' + 'ab'.repeat(20)] } });
    expect(created.status).toBe(201);
    const key: string = created.body.apiKey;
    expect(key).toMatch(/^tg_/);
    const list = await call('/admin/api/merchants', { session: viewer });
    const m = list.body.find((x: { id: string }) => x.id === created.body.merchantId);
    expect(m.key_prefixes).toEqual([key.slice(0, 10)]);
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(JSON.stringify(await f.api.db.query(`SELECT after FROM admin_audit_log WHERE action = 'merchant.create'`))).not.toContain(key);
    expect((await call(`/admin/api/merchants/${m.id}/suspend`, { method: 'POST', session: operator })).status).toBe(200);
    const verify = await fetch(`${f.api.baseUrl}/verify`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    expect(verify.status).toBe(401);
    expect((await call(`/admin/api/merchants/${m.id}/suspend`, { method: 'POST', session: operator })).status).toBe(409);
    expect((await call(`/admin/api/merchants/${m.id}/activate`, { method: 'POST', session: operator })).status).toBe(200);
  });

  it('replays a webhook delivery as a new delivery with the same message id', async () => {
    const [endpoint] = await f.api.db.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext) VALUES ($1, 'https://merchant.invalid/hook', ARRAY['payment.queued'], 'x') RETURNING id`,
      [f.merchantId],
    );
    const [delivery] = await f.api.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot, status, attempt_count)
       VALUES ($1, $2, 'payment.queued', 'msg_test_replay', now(), '{}'::jsonb, 'failed', 8) RETURNING id`,
      [endpoint.id, f.merchantId],
    );
    const listed = await call(`/admin/api/webhooks/deliveries?endpoint=${endpoint.id}`, { session: viewer });
    expect(listed.body).toEqual([expect.objectContaining({ id: delivery.id, status: 'failed', attempts: [] })]);
    expect((await call(`/admin/api/webhooks/deliveries/${delivery.id}/replay`, { method: 'POST', session: viewer })).status).toBe(403);
    const res = await call(`/admin/api/webhooks/deliveries/${delivery.id}/replay`, { method: 'POST', session: operator });
    expect(res.status).toBe(200);
    const [copy] = await f.api.db.query(`SELECT message_id, replay_of, status FROM webhook_deliveries WHERE id = $1`, [res.body.deliveryId]);
    expect(copy).toEqual({ message_id: 'msg_test_replay', replay_of: delivery.id, status: 'pending' });
    expect(await auditOf('webhook.replay', delivery.id)).toHaveLength(1);
  });

  it('replace marks a stuck submitted batch; the tracker re-sends it with the same nonce and clears the mark', async () => {
    const s = await f.sign({ payerIndex: 4, amount: 3_333n });
    const ref: string = (await f.settle(s.body)).body.extensions.tollgate.reference;
    await f.chain.test.setAutomine(false);
    await f.startWorker();
    const batchId: string = await eventually('the batch to be broadcast', async () => (await f.api.db.query(`SELECT batch_id FROM payments WHERE reference = $1 AND status = 'submitted'`, [ref]))[0]?.batch_id);
    const txs = () => f.api.db.query(`SELECT tx_hash, nonce::text, status FROM relayer_transactions WHERE batch_id = $1 ORDER BY created_at`, [batchId]);
    expect(await txs()).toHaveLength(1);
    const res = await call(`/admin/api/batches/${batchId}/replace`, { method: 'POST', session: operator });
    expect(res.status).toBe(200);
    const after = await eventually('the replacement', async () => {
      const rows = await txs();
      const [b] = await f.api.db.query(`SELECT replace_requested_at, replacements FROM settlement_batches WHERE id = $1`, [batchId]);
      return rows.length === 2 && b.replace_requested_at === null && b.replacements === 1 ? rows : null;
    });
    expect(after[1].nonce).toBe(after[0].nonce);
    expect(after[0].status).toBe('replaced');
    await f.chain.test.mine({ blocks: 1 });
    await f.chain.test.setAutomine(true);
    await f.waitForStatuses([ref], (st) => st[0] === 'confirmed');
    const detail = await call(`/admin/api/batches/${batchId}`, { session: viewer });
    expect(detail.body.transactions).toHaveLength(2);
    expect(detail.body.rows.find((r: { reference: string }) => r.reference === ref)).toMatchObject({ still_in_batch: true, status: 'confirmed' });
    expect(detail.body.landed).toBe(detail.body.batch.payment_count);
    // Once included there is nothing to replace.
    const refused = await call(`/admin/api/batches/${batchId}/replace`, { method: 'POST', session: operator });
    expect(refused.status).toBe(409);
    expect(await auditOf('batch.replace', batchId)).toHaveLength(1);
  });
});
