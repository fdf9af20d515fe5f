import type { DemoNetworkSummary, DemoSummary } from './summary';

const n = (x: number): string => x.toLocaleString('en-US');
const ms = (x: number | null): string => (x === null ? 'n/a' : `${n(x)} ms`);
/** Transaction ids listed per network before "… and N more": EVM batches, Solana (one per payment). */
const SHOWN = { evm: 10, svm: 3 };

/** The lines of one network: counts, its settling transactions, and (EVM) gas per payment. */
function networkLines(e: DemoNetworkSummary): string[] {
  const evm = e.network.startsWith('eip155:');
  const lines = [
    `  ${e.network}`,
    `    payments    ${n(e.payments)} made, ${n(e.contentServed)} served content, ${n(e.verified)} verified, ${n(e.settled)} settled, ${n(e.included)} included, ${n(e.confirmed)} confirmed, ${n(e.failed)} failed`,
  ];
  for (const [reason, count] of Object.entries(e.failures)) lines.push(`    failed      ${n(count)} × ${reason}`);
  const what = evm
    ? `batch transaction${e.batches.length === 1 ? '' : 's'} carried them (payments per batch: ${e.batchSizes.slice(0, 50).join(', ') || '-'}${e.batchSizes.length > 50 ? ', …' : ''})`
    : `transaction${e.batches.length === 1 ? '' : 's'}, one per payment (the payer signs the whole transaction: nothing to batch)`;
  lines.push(`    settled by  ${n(e.batches.length)} ${what}`);
  const shown = evm ? SHOWN.evm : SHOWN.svm;
  for (const tx of e.batches.slice(0, shown)) lines.push(`                ${tx}`);
  if (e.batches.length > shown) lines.push(`                … and ${n(e.batches.length - shown)} more (--json lists them all)`);
  if (evm) lines.push(`    gas/payment ${n(e.gasPerPayment)} batched vs ${n(e.singleTxGas)} for one transferWithAuthorization transaction (${e.gasSavedPercent} % saved)`);
  lines.push(`    inclusion   p50 ${ms(e.inclusionP50Ms)}, p95 ${ms(e.inclusionP95Ms)} (paid request sent → transaction included)`);
  return lines;
}

/** The human summary (stdout without `--json`): totals, then each network, then webhooks and the verdict. */
export function formatSummary(s: DemoSummary, context: { concurrency: number }): string {
  const lines = [
    '',
    `Tollgate demo: ${n(s.payments)} paid requests, concurrency ${context.concurrency}, ${s.mode} settlement on ${s.networks.join(' and ')}`,
    `  payments      ${n(s.payments)} made, ${n(s.contentServed)} served content, ${n(s.verified)} verified, ${n(s.settled)} settled, ${n(s.included)} included, ${n(s.confirmed)} confirmed, ${n(s.failed)} failed`,
  ];
  for (const network of s.networks) lines.push(...networkLines(s.byNetwork[network]));
  lines.push(
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
