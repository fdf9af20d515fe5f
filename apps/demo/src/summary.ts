import { createPublicClient, http, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { devchainViemChain, type DevchainDeployment } from '@tollgate/devchain';
import { TRANSFER_WITH_AUTHORIZATION_TYPES, transferCalldata } from '@tollgate/evm';
import { DemoReportRepository, type DemoPaymentRow } from '@tollgate/persistence';
import type { PaidRequestResult } from './paying-client';
import type { DemoWebhookReport } from './webhook-receiver';

/** Statuses after which a payment never changes again. */
export const FINAL_STATUSES: readonly string[] = ['confirmed', 'failed', 'lapsed'];

/** Counts and settlement figures of one network's payments (the `byNetwork` entries of the summary). */
export interface DemoNetworkSummary {
  /** CAIP-2. */
  network: string;
  /** Paid requests made on this network. */
  payments: number;
  /** Of those, requests that received their content. */
  contentServed: number;
  /** Payments Tollgate verified and recorded. */
  verified: number;
  /** Payments `/settle` accepted (queued). */
  settled: number;
  /** Payments whose transaction was included on chain. */
  included: number;
  /** Paid requests whose payment reached `confirmed`. */
  confirmed: number;
  /** Paid requests that did not get content or whose payment did not reach `confirmed`. */
  failed: number;
  /** Failure reason → count. */
  failures: Record<string, number>;
  /**
   * The transactions that settled this run's payments, in inclusion order: EVM batch hashes (many payments
   * each), Solana transaction signatures (one payment each: the payer signed the whole transaction).
   */
  batches: string[];
  /** Payments per transaction, same order as `batches`. */
  batchSizes: number[];
  /** EVM: gas used by the batches divided by the payments they settled; 0 on Solana (fees are per transaction). */
  gasPerPayment: number;
  /** EVM: gas of one stand-alone `transferWithAuthorization` transaction for the same token and payee; 0 on Solana. */
  singleTxGas: number;
  /** EVM: 1 − gasPerPayment / singleTxGas, in percent; 0 on Solana. */
  gasSavedPercent: number;
  /** From sending the paid request to the inclusion of its payment's transaction (milliseconds). */
  inclusionP50Ms: number | null;
  inclusionP95Ms: number | null;
  /** Confirmed payments whose `payment.confirmed` webhook had not arrived (verified) by the end of --settle-timeout. */
  confirmedWithoutWebhook: number;
}

/**
 * The demo's result. Field names are the `--json` contract (the e2e test and scripts read them). The
 * top-level counts are totals over every network paid on; `byNetwork` breaks them down.
 */
export interface DemoSummary extends Omit<DemoNetworkSummary, 'network'> {
  /**
   * True when every paid request got its content, every payment reached `confirmed`, every webhook
   * delivery passed signature verification and every confirmed payment's `payment.confirmed` webhook
   * arrived — on every network.
   */
  ok: boolean;
  mode: 'deferred' | 'confirmed';
  /** The networks paid on (CAIP-2), joined with ", " (one network: just its id). */
  network: string;
  /** The networks paid on (CAIP-2), in the order requests cycled through them. */
  networks: string[];
  // The counts are totals over every network; `batches`/`batchSizes` list every network's transactions;
  // the gas figures are the EVM network's (0 when none was paid on); inclusion percentiles span every payment.
  /** Deliveries that reached the demo merchant's webhook endpoint (every attempt counts). */
  webhooksReceived: number;
  /** Those whose Standard Webhooks signature `standardwebhooks`' `Webhook.verify` accepted. */
  webhooksVerified: number;
  /** Verified deliveries by event type; every subscribed `payment.*` type is present (0 when none arrived). */
  webhooksByType: Record<string, number>;
  /** CAIP-2 → that network's counts and settlement figures. */
  byNetwork: Record<string, DemoNetworkSummary>;
  durationMs: number;
}

/** What the progress line shows of Tollgate's side: the merchant's payments by status, and the distinct transactions that settled them (EVM batches, Solana transactions). */
export interface SettlementSnapshot {
  statuses: Record<string, number>;
  batches: number;
}

/** One cheap read of the merchant's payments for the progress line. */
export async function settlementSnapshot(db: DataSource, merchantId: string): Promise<SettlementSnapshot> {
  const { statuses, transactions } = await new DemoReportRepository(db).progress(merchantId);
  return { statuses: Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)])), batches: transactions };
}

/**
 * Polls until every payment in `references` is in a final status or `timeoutMs` passes (a poll with a
 * deadline: the worker's progress is only visible in Postgres).
 * @returns true when all reached a final status.
 */
export async function waitForFinalStatuses(db: DataSource, references: readonly string[], timeoutMs: number, onPoll?: () => void): Promise<boolean> {
  const report = new DemoReportRepository(db);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await report.notFinal(references, FINAL_STATUSES);
    onPoll?.();
    if (pending === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The references among `references` whose payment is `confirmed` (whose `payment.confirmed` webhook is due). */
export async function confirmedReferences(db: DataSource, references: readonly string[]): Promise<string[]> {
  return new DemoReportRepository(db).confirmedReferences(references);
}

/**
 * Polls until Tollgate's outbox holds no delivery to `endpointId` still waiting for its first attempt, or
 * `timeoutMs` passes. Once payments are final they emit nothing more, so this means every webhook due for
 * them has reached the receiver at least once (retries of rejected ones are not waited for). Webhooks
 * are delivered concurrently: a payment's `payment.confirmed` may overtake its `payment.included`.
 * @returns true when none is waiting.
 */
export async function waitForFirstWebhookAttempts(db: DataSource, endpointId: string, timeoutMs: number): Promise<boolean> {
  const report = new DemoReportRepository(db);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await report.deliveriesBeforeFirstAttempt(endpointId)) === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Gas of one direct `transferWithAuthorization` (what settling each payment in its own transaction costs):
 * a fresh authorization from a devchain payer to `payTo`, estimated from a relayer and never sent. The
 * payee already holds tokens by then, which is the cheaper, conservative baseline.
 */
export async function measureSingleTransferGas(d: DevchainDeployment, payTo: `0x${string}`): Promise<bigint> {
  const payer = privateKeyToAccount(d.payers[0].privateKey);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const message = { from: payer.address, to: payTo, value: 1_000n, validAfter: 0n, validBefore: now + 3600n, nonce: toHex(randomBytes(32)) as Hex };
  const signature = await payer.signTypedData({
    domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message,
  });
  const client = createPublicClient({ chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
  return client.estimateGas({
    account: d.relayers[0].address,
    to: d.token.address,
    data: transferCalldata({ paymentId: 'baseline', ...message, signature }),
  });
}

/** Nearest-rank percentile of an unsorted list; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Builds the summary from the client's results, Postgres (payments and batches are the truth) and, when
 * an EVM network was paid on, one gas estimate against the chain.
 */
export async function collectSummary(args: {
  db: DataSource;
  /** The EVM devchain (for the single-transfer gas baseline). */
  deployment: DevchainDeployment;
  merchantId: string;
  /** The merchant's EVM payTo (the baseline's payee). */
  payTo: `0x${string}`;
  mode: 'deferred' | 'confirmed';
  /** The networks paid on (CAIP-2). */
  networks: readonly string[];
  results: readonly PaidRequestResult[];
  webhooks: DemoWebhookReport;
  durationMs: number;
}): Promise<DemoSummary> {
  const report = new DemoReportRepository(args.db);
  const rows = await report.payments(args.merchantId);
  // Each batch counts every payment it settled (a shared lane may carry other merchants' payments too).
  const evmBatches = await report.batches(args.merchantId);
  const byNetwork: Record<string, DemoNetworkSummary> = {};
  const inclusion: number[] = [];
  for (const network of args.networks) {
    const results = args.results.filter((r) => r.network === network);
    const networkRows = rows.filter((r) => r.network === network);
    const entry = summarizeNetwork(network, results, networkRows, args.webhooks, inclusion);
    if (network.startsWith('eip155:')) {
      const gasUsed = evmBatches.reduce((s, b) => s + BigInt(b.gas_used), 0n);
      const landed = evmBatches.reduce((s, b) => s + Number(b.landed), 0);
      entry.batches = evmBatches.map((b) => b.tx_hash);
      entry.batchSizes = evmBatches.map((b) => Number(b.landed));
      entry.gasPerPayment = landed ? Number(gasUsed / BigInt(landed)) : 0;
      entry.singleTxGas = Number(await measureSingleTransferGas(args.deployment, args.payTo));
      entry.gasSavedPercent = entry.singleTxGas && entry.gasPerPayment ? Math.round((1 - entry.gasPerPayment / entry.singleTxGas) * 1000) / 10 : 0;
    }
    byNetwork[network] = entry;
  }

  const entries = Object.values(byNetwork);
  const sum = (pick: (e: DemoNetworkSummary) => number) => entries.reduce((s, e) => s + pick(e), 0);
  const failures: Record<string, number> = {};
  for (const e of entries) for (const [reason, count] of Object.entries(e.failures)) failures[reason] = (failures[reason] ?? 0) + count;
  const evm = entries.find((e) => e.network.startsWith('eip155:'));
  const { received, verified } = args.webhooks;
  const totals = {
    payments: sum((e) => e.payments),
    contentServed: sum((e) => e.contentServed),
    verified: sum((e) => e.verified),
    settled: sum((e) => e.settled),
    included: sum((e) => e.included),
    confirmed: sum((e) => e.confirmed),
    failed: sum((e) => e.failed),
    confirmedWithoutWebhook: sum((e) => e.confirmedWithoutWebhook),
  };
  return {
    ok: totals.failed === 0 && totals.confirmed === args.results.length && verified === received && totals.confirmedWithoutWebhook === 0,
    mode: args.mode,
    network: args.networks.join(', '),
    networks: [...args.networks],
    ...totals,
    failures,
    batches: entries.flatMap((e) => e.batches),
    batchSizes: entries.flatMap((e) => e.batchSizes),
    gasPerPayment: evm?.gasPerPayment ?? 0,
    singleTxGas: evm?.singleTxGas ?? 0,
    gasSavedPercent: evm?.gasSavedPercent ?? 0,
    inclusionP50Ms: percentile(inclusion, 50),
    inclusionP95Ms: percentile(inclusion, 95),
    webhooksReceived: received,
    webhooksVerified: verified,
    webhooksByType: { ...args.webhooks.byType },
    confirmedWithoutWebhook: totals.confirmedWithoutWebhook,
    byNetwork,
    durationMs: args.durationMs,
  };
}

/**
 * One network's entry: outcome of each paid request, read against Tollgate's row of its payment. Solana
 * payments settle one transaction each, so their transactions are the distinct `tx_hash`es; EVM batches are
 * filled in by the caller. Pushes each payment's inclusion latency onto `inclusionAll` (for the totals).
 */
function summarizeNetwork(
  network: string,
  results: readonly PaidRequestResult[],
  rows: readonly DemoPaymentRow[],
  webhooks: DemoWebhookReport,
  inclusionAll: number[],
): DemoNetworkSummary {
  const byReference = new Map(rows.map((r) => [r.reference, r]));
  const failures: Record<string, number> = {};
  const fail = (reason: string) => (failures[reason] = (failures[reason] ?? 0) + 1);
  const inclusion: number[] = [];
  let confirmed = 0;
  let confirmedWithoutWebhook = 0;
  for (const r of results) {
    const row = r.receipt?.reference ? byReference.get(r.receipt.reference) : undefined;
    if (row?.included_at) inclusion.push(new Date(row.included_at).getTime() - r.startedAt);
    if (!r.contentOk) fail(r.error ?? 'no content');
    else if (!r.receipt?.reference) fail('no Tollgate reference in PAYMENT-RESPONSE');
    else if (!row) fail('payment not found in Tollgate');
    else if (row.status === 'confirmed') {
      confirmed++;
      if (!webhooks.eventsByReference.get(row.reference)?.has('payment.confirmed')) confirmedWithoutWebhook++;
    } else if (row.status === 'failed' || row.status === 'lapsed') fail(row.failure_reason ?? row.status);
    else fail(`not confirmed in time (still ${row.status})`);
  }
  inclusionAll.push(...inclusion);
  const transactions = rows
    .filter((r) => r.tx_hash !== null && r.included_at !== null)
    .sort((x, y) => new Date(x.included_at as Date).getTime() - new Date(y.included_at as Date).getTime());
  const sizes = new Map<string, number>();
  for (const t of transactions) sizes.set(t.tx_hash as string, (sizes.get(t.tx_hash as string) ?? 0) + 1);
  return {
    network,
    payments: results.length,
    contentServed: results.filter((r) => r.contentOk).length,
    verified: rows.length,
    settled: rows.filter((r) => r.queued_at !== null).length,
    included: rows.filter((r) => r.included_at !== null).length,
    confirmed,
    failed: Object.values(failures).reduce((s, c) => s + c, 0),
    failures,
    batches: [...sizes.keys()],
    batchSizes: [...sizes.values()],
    gasPerPayment: 0,
    singleTxGas: 0,
    gasSavedPercent: 0,
    inclusionP50Ms: percentile(inclusion, 50),
    inclusionP95Ms: percentile(inclusion, 95),
    confirmedWithoutWebhook,
  };
}
