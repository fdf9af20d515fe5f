/** Scenario 3: end to end, verify + settle as fast as the API takes them, then until every payment is confirmed. */
import { rmSync } from 'node:fs';
import { round, type EndToEndOutcome, type DrainResult } from './results';
import { startWrites } from './pg-writes';
import { freshPayers, prepareBodies, runLoad, authHeaders, type Harness } from './harness';
import { IN_FLIGHT, waitSettled } from './scenario-settle';

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export async function endToEndScenario(h: Harness): Promise<EndToEndOutcome> {
  const connections = h.flags.e2eConnections;
  // Every connection runs the same number of verify + settle pairs (autocannon splits requests evenly).
  const payments = Math.ceil(h.flags.e2ePayments / connections) * connections;
  const payTo = h.stack.endToEndPayTo.toLowerCase();
  // Earlier scenarios' payments must not compete for the worker; stuck ones (reported there) cannot, so go on.
  await waitSettled(h, { timeoutMs: 300_000 });
  await freshPayers(h);
  const file = await prepareBodies(h, payments + connections, h.stack.endToEndPayTo);
  h.log(`e2e: ${payments.toLocaleString('en-US')} payments (verify + settle each), ${connections} connections, then until all are confirmed`);
  const timeoutMs = h.flags.quick ? 120_000 : 300_000;
  let drain: DrainResult | undefined;
  // Every write of the payments' whole lives (accept, queue, batch, submit, include, confirm, events, rollups).
  const writes = await startWrites(h.stack.db, 'payment');
  const { result, processes } = await runLoad(
    h,
    { mode: 'pair', url: h.stack.apiUrl, bodiesFile: file, headers: authHeaders(h, 'tollgate'), connections, payments, timeoutSeconds: 10 },
    true,
    async () => {
      drain = await waitSettled(h, { timeoutMs, payTo, statuses: ['verified', ...IN_FLIGHT] });
    },
  );
  rmSync(file, { force: true });
  h.log('  waiting for Postgres to publish its write counters');
  const pgWrites = await writes.stop(payments);
  const rows: Array<{ status: string; queued_ms: string | null; included_ms: string | null; confirmed_ms: string | null; tx_hash: string | null; failure_reason: string | null }> =
    await h.stack.db.query(
      `SELECT status, failure_reason, tx_hash,
              (extract(epoch FROM queued_at) * 1000)::text AS queued_ms,
              (extract(epoch FROM included_at) * 1000)::text AS included_ms,
              (extract(epoch FROM confirmed_at) * 1000)::text AS confirmed_ms
         FROM payments WHERE pay_to = $1 AND created_at >= to_timestamp($2::float8 / 1000)`,
      // This run's payments only: the history scenario (--history) runs this scenario again on the same stack.
      [payTo, result.startedAt],
    );
  const confirmedRows = rows.filter((r) => r.status === 'confirmed');
  const lastConfirmed = Math.max(...confirmedRows.map((r) => Number(r.confirmed_ms)));
  const durationMs = confirmedRows.length ? Math.max(1, lastConfirmed - result.startedAt) : 0;
  const inclusion = confirmedRows.filter((r) => r.queued_ms && r.included_ms).map((r) => Number(r.included_ms) - Number(r.queued_ms));
  const confirmation = confirmedRows.filter((r) => r.queued_ms && r.confirmed_ms).map((r) => Number(r.confirmed_ms) - Number(r.queued_ms));
  const perTx = new Map<string, number>();
  for (const r of confirmedRows) if (r.tx_hash) perTx.set(r.tx_hash, (perTx.get(r.tx_hash) ?? 0) + 1);
  const sizes = [...perTx.values()];
  const reasons: Record<string, number> = {};
  for (const r of rows.filter((x) => x.status === 'failed' || x.status === 'lapsed')) reasons[r.failure_reason ?? r.status] = (reasons[r.failure_reason ?? r.status] ?? 0) + 1;
  const v = result.endpoints.find((e) => e.path === '/verify')!;
  const s = result.endpoints.find((e) => e.path === '/settle')!;
  for (const e of [v, s]) for (const [k, n] of Object.entries(e.reasons)) reasons[`${e.path}: ${k}`] = (reasons[`${e.path}: ${k}`] ?? 0) + n;
  const failed = rows.filter((r) => r.status === 'failed' || r.status === 'lapsed').length;
  for (const [status, n] of Object.entries(drain?.stuck ?? {})) reasons[`never final: ${status}`] = n;
  if (drain?.orphaned) reasons["never final: 'included' in a failed batch"] = drain.orphaned;
  const out: EndToEndOutcome = {
    payments,
    confirmed: confirmedRows.length,
    failed,
    pending: payments - confirmedRows.length - failed,
    durationMs: Math.round(durationMs),
    paymentsPerMinute: durationMs ? Math.round((confirmedRows.length / durationMs) * 60_000) : 0,
    acceptedPerSecond: result.rps,
    inclusionP50Ms: percentile(inclusion, 50),
    inclusionP95Ms: percentile(inclusion, 95),
    confirmationP95Ms: percentile(confirmation, 95),
    batches: sizes.length,
    batchSizeMin: sizes.length ? Math.min(...sizes) : 0,
    batchSizeMean: sizes.length ? round(sizes.reduce((a, b) => a + b, 0) / sizes.length, 1) : 0,
    batchSizeMax: sizes.length ? Math.max(...sizes) : 0,
    verify: { p50: v.latency.p50, p99: v.latency.p99, rejected: v.rejected + v.non2xx },
    settle: { p50: s.latency.p50, p99: s.latency.p99, rejected: s.rejected + s.non2xx },
    processes,
    writes: pgWrites,
    valid: confirmedRows.length === payments && result.errors === 0,
    reasons,
  };
  for (const k of ['inclusionP50Ms', 'inclusionP95Ms', 'confirmationP95Ms'] as const) if (out[k] !== null) out[k] = Math.round(out[k]!);
  h.log(
    `  ${out.confirmed}/${payments} confirmed in ${round(durationMs / 1000, 1)} s → ${out.paymentsPerMinute.toLocaleString('en-US')} payments/min; ` +
      `inclusion p50 ${out.inclusionP50Ms} ms, p95 ${out.inclusionP95Ms} ms; ${out.batches} batches`,
  );
  return out;
}
