import { createPublicClient, http, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { devchainViemChain, type DevchainDeployment } from '@tollgate/devchain';
import { TRANSFER_WITH_AUTHORIZATION_TYPES, transferCalldata } from '@tollgate/evm';
import { DemoReportRepository } from '@tollgate/persistence';
import type { PaidRequestResult } from './paying-client';
import type { DemoWebhookReport } from './webhook-receiver';

/** Statuses after which a payment never changes again. */
export const FINAL_STATUSES: readonly string[] = ['confirmed', 'failed', 'lapsed'];

/** The demo's result. Field names are the `--json` contract (the e2e test and scripts read them). */
export interface DemoSummary {
  /**
   * True when every paid request got its content, every payment reached `confirmed`, every webhook
   * delivery passed signature verification and every confirmed payment's `payment.confirmed` webhook arrived.
   */
  ok: boolean;
  mode: 'deferred' | 'confirmed';
  network: string;
  /** Paid requests made. */
  payments: number;
  /** Paid requests that received their content. */
  contentServed: number;
  /** Payments Tollgate verified and recorded. */
  verified: number;
  /** Payments `/settle` accepted (queued for a batch). */
  settled: number;
  /** Payments whose batch was included on chain. */
  included: number;
  /** Paid requests whose payment reached `confirmed`. */
  confirmed: number;
  /** Paid requests that did not get content or whose payment did not reach `confirmed`. */
  failed: number;
  /** Failure reason → count. */
  failures: Record<string, number>;
  /** Transaction hashes of the batches that carried this run's payments, in inclusion order. */
  batches: string[];
  /** Payments per batch, same order as `batches`. */
  batchSizes: number[];
  /** Gas used by those batches divided by the payments they settled. */
  gasPerPayment: number;
  /** Gas of one stand-alone `transferWithAuthorization` transaction for the same token and payee. */
  singleTxGas: number;
  /** 1 − gasPerPayment / singleTxGas, in percent. */
  gasSavedPercent: number;
  /** From sending the paid request to the inclusion of its payment's batch (milliseconds). */
  inclusionP50Ms: number | null;
  inclusionP95Ms: number | null;
  /** Deliveries that reached the demo merchant's webhook endpoint (every attempt counts). */
  webhooksReceived: number;
  /** Those whose Standard Webhooks signature `standardwebhooks`' `Webhook.verify` accepted. */
  webhooksVerified: number;
  /** Verified deliveries by event type; every subscribed `payment.*` type is present (0 when none arrived). */
  webhooksByType: Record<string, number>;
  /** Confirmed payments whose `payment.confirmed` webhook had not arrived (verified) by the end of --settle-timeout. */
  confirmedWithoutWebhook: number;
  durationMs: number;
}

/** What the progress line shows of Tollgate's side: the merchant's payments by status, and batches on chain. */
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
 * Builds the summary from the client's results, Postgres (payments and batches are the truth) and one gas
 * estimate against the chain.
 */
export async function collectSummary(args: {
  db: DataSource;
  deployment: DevchainDeployment;
  merchantId: string;
  payTo: `0x${string}`;
  mode: 'deferred' | 'confirmed';
  results: readonly PaidRequestResult[];
  webhooks: DemoWebhookReport;
  durationMs: number;
}): Promise<DemoSummary> {
  const { db, results } = args;
  const report = new DemoReportRepository(db);
  const rows = await report.payments(args.merchantId);
  const byReference = new Map(rows.map((r) => [r.reference, r]));
  // Each batch counts every payment it settled (a shared lane may carry other merchants' payments too).
  const batches = await report.batches(args.merchantId);

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
      if (!args.webhooks.eventsByReference.get(row.reference)?.has('payment.confirmed')) confirmedWithoutWebhook++;
    }
    else if (row.status === 'failed' || row.status === 'lapsed') fail(row.failure_reason ?? row.status);
    else fail(`not confirmed in time (still ${row.status})`);
  }

  const gasUsed = batches.reduce((s, b) => s + BigInt(b.gas_used), 0n);
  const landed = batches.reduce((s, b) => s + Number(b.landed), 0);
  const gasPerPayment = landed ? Number(gasUsed / BigInt(landed)) : 0;
  const singleTxGas = Number(await measureSingleTransferGas(args.deployment, args.payTo));
  const failed = Object.values(failures).reduce((s, n) => s + n, 0);
  const { received, verified } = args.webhooks;
  return {
    ok: failed === 0 && confirmed === results.length && verified === received && confirmedWithoutWebhook === 0,
    mode: args.mode,
    network: args.deployment.network,
    payments: results.length,
    contentServed: results.filter((r) => r.contentOk).length,
    verified: rows.length,
    settled: rows.filter((r) => r.queued_at !== null).length,
    included: rows.filter((r) => r.included_at !== null).length,
    confirmed,
    failed,
    failures,
    batches: batches.map((b) => b.tx_hash),
    batchSizes: batches.map((b) => Number(b.landed)),
    gasPerPayment,
    singleTxGas,
    gasSavedPercent: singleTxGas && gasPerPayment ? Math.round((1 - gasPerPayment / singleTxGas) * 1000) / 10 : 0,
    inclusionP50Ms: percentile(inclusion, 50),
    inclusionP95Ms: percentile(inclusion, 95),
    webhooksReceived: received,
    webhooksVerified: verified,
    webhooksByType: { ...args.webhooks.byType },
    confirmedWithoutWebhook,
    durationMs: args.durationMs,
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const ms = (x: number | null): string => (x === null ? 'n/a' : `${n(x)} ms`);

/** The human summary (stdout without `--json`). */
export function formatSummary(s: DemoSummary, context: { concurrency: number }): string {
  const lines = [
    '',
    `Tollgate demo: ${n(s.payments)} paid requests, concurrency ${context.concurrency}, ${s.mode} settlement on ${s.network}`,
    `  payments      ${n(s.payments)} made, ${n(s.contentServed)} served content, ${n(s.verified)} verified, ${n(s.settled)} settled, ${n(s.included)} included, ${n(s.confirmed)} confirmed, ${n(s.failed)} failed`,
  ];
  for (const [reason, count] of Object.entries(s.failures)) lines.push(`  failed        ${n(count)} × ${reason}`);
  const shown = 10;
  lines.push(`  batches       ${n(s.batches.length)} transaction${s.batches.length === 1 ? '' : 's'} carried them (payments per batch: ${s.batchSizes.slice(0, 50).join(', ') || '-'}${s.batchSizes.length > 50 ? ', …' : ''})`);
  for (const tx of s.batches.slice(0, shown)) lines.push(`                ${tx}`);
  if (s.batches.length > shown) lines.push(`                … and ${n(s.batches.length - shown)} more (--json lists them all)`);
  lines.push(
    `  gas/payment   ${n(s.gasPerPayment)} batched vs ${n(s.singleTxGas)} for one transferWithAuthorization transaction (${s.gasSavedPercent} % saved)`,
    `  inclusion     p50 ${ms(s.inclusionP50Ms)}, p95 ${ms(s.inclusionP95Ms)} (paid request sent → batch included)`,
    `  webhooks      ${n(s.webhooksReceived)} received, ${n(s.webhooksVerified)} verified with standardwebhooks (${
      Object.entries(s.webhooksByType)
        .filter(([, count]) => count > 0)
        .map(([type, count]) => `${type} ${n(count)}`)
        .join(', ') || 'none verified'
    })`,
  );
  const unverified = s.webhooksReceived - s.webhooksVerified;
  if (unverified > 0) lines.push(`  failed        ${n(unverified)} × webhook delivery failed signature verification`);
  if (s.confirmedWithoutWebhook > 0) lines.push(`  failed        ${n(s.confirmedWithoutWebhook)} × confirmed payment whose payment.confirmed webhook never arrived`);
  lines.push(`  took          ${(s.durationMs / 1000).toFixed(1)} s`);
  if (s.ok) {
    lines.push('  result        OK: every paid request got its content, every payment is confirmed and announced by a verified payment.confirmed webhook');
  } else {
    const why: string[] = [];
    if (s.failed > 0 || s.confirmed < s.payments) why.push(`${n(s.failed)} paid request${s.failed === 1 ? '' : 's'} failed`);
    if (unverified > 0) why.push(`${n(unverified)} webhook deliver${unverified === 1 ? 'y' : 'ies'} failed verification`);
    if (s.confirmedWithoutWebhook > 0) {
      why.push(`${n(s.confirmedWithoutWebhook)} confirmed payment${s.confirmedWithoutWebhook === 1 ? '' : 's'} got no payment.confirmed webhook`);
    }
    lines.push(`  result        FAILED: ${why.join('; ')} (LOG_LEVEL=info npm run demo shows the API and worker logs)`);
  }
  return lines.join('\n');
}
