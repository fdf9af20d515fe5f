import { Address, createPublicClient, createTestClient, Hex, http } from 'viem';
import { devchainViemChain, eip3009TokenAbi } from '@tollgate/devchain';
import { testApps, type TestOperatorActionWorker, type TestSettlementWorker } from '../apps';
import { workerConfigOf } from '../stack';
import { bodyV2, ExactPayload, randomNonce, seededRandom, signAuthorization } from '../payments';
import { eventually } from '../poll';
import { FacilitatorFixture, startFacilitator } from './facilitator';

/** API + in-process settlement worker on one private chain, database and queue prefix. */
export interface SettlementFixture extends FacilitatorFixture {
  /** The environment overrides this fixture was started with (harness defaults included). */
  env: Record<string, string>;
  worker?: TestSettlementWorker;
  startWorker(): Promise<TestSettlementWorker>;
  stopWorker(): Promise<void>;
  /** The worker's consumer of operator actions (retry, void, replace requested through the admin API). */
  operatorActions?: TestOperatorActionWorker;
  startOperatorActions(): Promise<TestOperatorActionWorker>;
  stopOperatorActions(): Promise<void>;
  /** viem public + anvil test client for the chain. */
  chain: ReturnType<typeof chainClients>;
  /** Polls Postgres until `predicate` holds for the payments' statuses or the deadline passes. */
  waitForStatuses(refs: string[], predicate: (statuses: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  statusOf(ref: string): Promise<{ status: string; failure_reason: string | null; tx_hash: string | null; batch_id: string | null; log_index: number | null }>;
  sign(opts: { payerIndex?: number; payerKey?: Hex; amount?: bigint; validBefore?: bigint; nonce?: Hex; from?: Address }): Promise<{ body: any; payload: ExactPayload }>;
}

function chainClients(rpcUrl: string, chainId: number) {
  const chain = devchainViemChain(chainId, rpcUrl);
  return {
    public: createPublicClient({ chain, transport: http(rpcUrl) }),
    test: createTestClient({ chain, mode: 'anvil', transport: http(rpcUrl) }),
  };
}

/** Starts the API and merchant (see `startFacilitator`) with fast settlement timers; the worker starts on `startWorker()`. */
export async function startSettlement(env: Record<string, string> = {}, seed = 3): Promise<SettlementFixture> {
  const merged = { BATCH_TICK_MS: '50', TX_POLL_MS: '100', SWEEP_INTERVAL_MS: '1000', ...env };
  const f = await startFacilitator(merged, seed);
  const d = f.api.chain.deployment;
  const rand = seededRandom(seed * 7919);
  const fixture: SettlementFixture = {
    ...f,
    env: merged,
    chain: chainClients(d.rpcUrl, d.chainId),
    async startWorker() {
      fixture.worker = await testApps().startSettlementWorker(workerConfigOf(f.api), { concurrency: 4 });
      return fixture.worker;
    },
    async stopWorker() {
      await fixture.worker?.stop();
      fixture.worker = undefined;
    },
    async startOperatorActions() {
      fixture.operatorActions = await testApps().startOperatorActions(workerConfigOf(f.api), { concurrency: 2 });
      return fixture.operatorActions;
    },
    async stopOperatorActions() {
      await fixture.operatorActions?.stop();
      fixture.operatorActions = undefined;
    },
    async statusOf(ref) {
      const [row] = await f.api.db.query(`SELECT status, failure_reason, tx_hash, batch_id, log_index FROM payments WHERE reference = $1`, [ref]);
      return row;
    },
    async waitForStatuses(refs, predicate, timeoutMs = 30_000) {
      let statuses: string[] = [];
      return eventually(
        'payment statuses',
        async () => {
          const rows: Array<{ reference: string; status: string }> = await f.api.db.query(`SELECT reference, status FROM payments WHERE reference = ANY($1)`, [refs]);
          const byRef = new Map(rows.map((r) => [r.reference, r.status]));
          statuses = refs.map((r) => byRef.get(r) ?? 'missing');
          return predicate(statuses) && statuses;
        },
        timeoutMs,
        () => `statuses: ${JSON.stringify(countBy(statuses))}`,
      );
    },
    async sign(o) {
      const amount = o.amount ?? 10_000n;
      const payload = await signAuthorization(d, {
        payerKey: o.payerKey ?? d.payers[o.payerIndex ?? 0].privateKey,
        to: f.payTo,
        value: amount,
        nonce: o.nonce ?? randomNonce(rand),
        validBefore: o.validBefore,
        from: o.from,
      });
      return { payload, body: bodyV2(d, payload, { payTo: f.payTo, amount }) };
    },
    async stop() {
      await fixture.stopOperatorActions();
      await fixture.stopWorker();
      await f.stop();
    },
  };
  return fixture;
}

/** Counts equal strings (for readable status summaries in failures). */
export function countBy(xs: string[]): Record<string, number> {
  return xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
}

/** `who`'s balance of the devchain token, in atomic units. */
export async function tokenBalance(f: SettlementFixture, who: Address): Promise<bigint> {
  const d = f.api.chain.deployment;
  return f.chain.public.readContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'balanceOf', args: [who] }) as Promise<bigint>;
}
