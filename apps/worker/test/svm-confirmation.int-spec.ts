import { eventually } from '@tollgate/testing';
import { startSvmSettlement, type SvmSettlementFixture } from './svm-settlement-support';

/** Long enough for a pass of the worker under load, short enough to wait for in a test. */
const CONFIRMED_SETTLE_TIMEOUT_MS = 10_000;
const CONFIRMED = { 'x-tollgate-settlement-mode': 'confirmed' };

/**
 * Solana payments between `confirmed` and `finalized` commitment on the litesvm devchain (its finality
 * depth raised so the two differ): `/settle` in confirmed mode answers once the transaction is confirmed,
 * with its signature; its timeouts answer as on EVM; and a confirmed transaction that vanishes (a fork,
 * `devchain_dropTransaction`) is re-queued and lands again — or ends `tollgate_blockhash_expired` when its
 * blockhash died with it — never left `included` nor marked `confirmed`.
 */
describe('Solana: confirmed settle mode and vanished confirmations', () => {
  let x: SvmSettlementFixture;
  const merchantAta = () => x.svm.merchants[0].tokenAccount;

  beforeAll(async () => {
    x = await startSvmSettlement(4, { CONFIRMED_SETTLE_TIMEOUT_MS: String(CONFIRMED_SETTLE_TIMEOUT_MS) });
    x.svm.chain.finalitySlots = 1_000n;
  });
  afterAll(async () => {
    await x?.stop();
  });

  const refOf = (res: { body: any }): string => res.body.extensions.tollgate.reference;
  const svmRow = async (ref: string) =>
    (await x.f.api.db.query(`SELECT s.* FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = $1`, [ref]))[0];
  const events = async (ref: string): Promise<string[]> =>
    (await x.f.api.db.query(`SELECT e.to_status FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`, [ref])).map(
      (r: { to_status: string }) => r.to_status,
    );
  /** Finalizes everything landed so far (the blockhash expires with it: later payments take the new one). */
  const finalize = () => x.svm.chain.advanceSlots(x.svm.chain.finalitySlots);

  it('confirmed mode answers once the transaction reaches confirmed commitment, with its signature, network and payer', async () => {
    const before = x.tokens(merchantAta());
    const w = await x.startWorker();
    try {
      const res = await x.settle(await x.body({ payer: 0, amount: 3_000n }), CONFIRMED);
      expect(res).toMatchObject({ status: 200, body: { success: true, network: x.svm.network, payer: x.svm.payers[0].address } });
      const ref = refOf(res);
      const row = await svmRow(ref);
      expect(res.body.transaction).toBe(row.signature);
      expect(res.body.extensions.tollgate).toMatchObject({ status: 'included', settlementMode: 'confirmed' });
      // Answered at confirmed commitment, before finality.
      expect(x.svm.chain.commitmentOf(x.svm.chain.status(row.signature)!)).toBe('confirmed');
      expect(x.tokens(merchantAta()) - before).toBe(3_000n);
      finalize();
      await x.waitFor([ref], 'confirmed');
    } finally {
      await w.stop();
    }
  });

  it('times out as on EVM: tollgate_settlement_timeout before the broadcast; the payment keeps its reference and a repeat resumes the wait', async () => {
    const body = await x.body({ payer: 1, amount: 1_100n });
    const res = await x.settle(body, CONFIRMED); // no worker: it stays queued
    expect(res).toMatchObject({
      status: 200,
      body: { success: false, errorReason: 'tollgate_settlement_timeout', network: x.svm.network, payer: x.svm.payers[1].address, transaction: '' },
    });
    const ref = refOf(res);
    expect(res.body.extensions.tollgate.status).toBe('queued');
    const w = await x.startWorker();
    try {
      const again = await x.settle(body, CONFIRMED);
      expect(again.body).toMatchObject({ success: true, transaction: (await svmRow(ref)).signature, extensions: { tollgate: { reference: ref } } });
    } finally {
      await w.stop();
    }
  });

  it('times out as on EVM: settlement_pending with the signature once it is on the wire; the retry answers success with it', async () => {
    const feePayer = x.svm.feePayers[1].address;
    const acc = x.svm.chain.svm.getAccount(feePayer as never) as unknown as { lamports: bigint };
    const lamports = acc.lamports;
    x.gate.hold('sendTransaction');
    const w = await x.startWorker();
    try {
      const body = await x.body({ payer: 2, feePayer: 1, amount: 1_200n });
      const pending = x.settle(body, CONFIRMED);
      await eventually('the broadcast held', async () => x.gate.heldMethods().includes('sendTransaction'), 20_000);
      // Signed and stored; now the fee payer cannot pay the fee: the chain drops every broadcast of it.
      x.svm.chain.svm.setAccount({ ...acc, lamports: 1_000n } as never);
      x.gate.open();
      await x.gate.release();
      const res = await pending;
      const ref = refOf(res);
      const row = await svmRow(ref);
      expect(res).toMatchObject({ status: 200, body: { success: false, errorReason: 'settlement_pending', transaction: row.signature, network: x.svm.network } });
      expect(res.body.extensions.tollgate.status).toBe('submitted');
      x.svm.chain.svm.setAccount({ ...x.svm.chain.svm.getAccount(feePayer as never), lamports } as never);
      // The official resource server retries the identical settle once: it resumes the wait.
      const again = await x.settle(body, CONFIRMED);
      expect(again.body).toMatchObject({ success: true, transaction: row.signature, extensions: { tollgate: { reference: ref, status: 'included' } } });
    } finally {
      x.gate.open();
      await w.stop();
      x.svm.chain.svm.setAccount({ ...x.svm.chain.svm.getAccount(feePayer as never), lamports } as never);
    }
  });

  it('a confirmed transaction that vanishes while its blockhash lives is re-queued, broadcast again and lands once', async () => {
    const before = { merchant: x.tokens(merchantAta()), payer: x.tokens(x.svm.payers[3].tokenAccount) };
    const w = await x.startWorker();
    try {
      const ref = refOf(await x.settle(await x.body({ payer: 3, amount: 1_300n })));
      await x.waitFor([ref], 'included');
      const { signature } = await svmRow(ref);
      expect(x.svm.chain.dropTransaction(signature)).toBe(true); // a fork without it
      expect(x.tokens(merchantAta())).toBe(before.merchant);
      await eventually('included again', async () => (await events(ref)).filter((s) => s === 'included').length === 2 && (await x.statusOf(ref)) === 'included', 30_000);
      expect(x.svm.chain.status(signature)?.err).toBeNull();
      finalize();
      await x.waitFor([ref], 'confirmed');
      const row = await svmRow(ref);
      expect(row.signature).toBe(signature);
      expect(row.broadcasts).toBeGreaterThanOrEqual(2);
      const [p] = await x.f.api.db.query(`SELECT tx_hash FROM payments WHERE reference = $1`, [ref]);
      expect(p.tx_hash).toBe(signature);
    } finally {
      await w.stop();
    }
    expect(x.tokens(merchantAta()) - before.merchant).toBe(1_300n);
    expect(before.payer - x.tokens(x.svm.payers[3].tokenAccount)).toBe(1_300n);
  });

  it('a confirmed transaction that vanishes with its blockhash expired ends failed (tollgate_blockhash_expired), never confirmed', async () => {
    const before = x.tokens(merchantAta());
    const first = await x.startWorker();
    let ref: string;
    let signature: string;
    try {
      ref = refOf(await x.settle(await x.body({ payer: 0, amount: 1_400n })));
      await x.waitFor([ref], 'included');
      signature = (await svmRow(ref)).signature;
    } finally {
      await first.stop();
    }
    x.svm.chain.dropTransaction(signature);
    x.svm.chain.expireBlockhash();
    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'failed');
    } finally {
      await w.stop();
    }
    const [p] = await x.f.api.db.query(`SELECT failure_reason FROM payments WHERE reference = $1`, [ref]);
    expect(p.failure_reason).toBe('tollgate_blockhash_expired');
    expect(await events(ref)).not.toContain('confirmed');
    expect(x.svm.chain.status(signature)).toBeUndefined();
    expect(x.tokens(merchantAta())).toBe(before);
  });
});
