/** Scenario 2: deferred /settle open-loop at a fixed rate, then the wait until every payment is final. */
import { rmSync } from 'node:fs';
import { round, summarizeRun, cleanRun, type SettleOutcome, type DrainResult } from './results';
import { freshPayers, prepareBodies, runLoad, authHeaders, baseUrl, warmUp, type Harness } from './harness';

/** Statuses a queued payment passes through before a final one. */
export const IN_FLIGHT = ['queued', 'batched', 'submitted', 'included'];

/**
 * Waits until no payment (of `payTo`, or any) is `verified`-and-settled-but-unfinished, i.e. in `statuses`.
 * Gives up at `timeoutMs`, or earlier when nothing has moved for `stallMs` (a stuck payment would otherwise
 * hold the run for the whole timeout).
 */
export async function waitSettled(h: Harness, o: { timeoutMs: number; stallMs?: number; payTo?: string; statuses?: string[] }): Promise<DrainResult> {
  const statuses = o.statuses ?? IN_FLIGHT;
  const deadline = Date.now() + o.timeoutMs;
  const stallMs = o.stallMs ?? 30_000;
  const where = `status = ANY($1)${o.payTo ? ' AND pay_to = $2' : ''}`;
  const params = o.payTo ? [statuses, o.payTo] : [statuses];
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const rows: Array<{ status: string; n: string }> = await h.stack.db.query(`SELECT status, count(*)::text AS n FROM payments WHERE ${where} GROUP BY status`, params);
    if (rows.length === 0) return { drained: true, stuck: {}, orphaned: 0 };
    const snapshot = JSON.stringify(rows.sort((a, b) => a.status.localeCompare(b.status)));
    if (snapshot !== last) {
      last = snapshot;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > stallMs) {
      const stuck = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const [{ n: orphaned }]: Array<{ n: string }> = await h.stack.db.query(
        `SELECT count(*)::text AS n FROM payments p JOIN settlement_batches b ON b.id = p.batch_id
          WHERE p.status = 'included' AND b.status IN ('failed', 'cancelled')${o.payTo ? ' AND p.pay_to = $1' : ''}`,
        o.payTo ? [o.payTo] : [],
      );
      h.log(
        `  gave up waiting (${Date.now() > deadline ? `${o.timeoutMs / 1000} s timeout` : `nothing moved for ${stallMs / 1000} s`}): ` +
          `${Object.entries(stuck).map(([k, v]) => `${v} ${k}`).join(', ')}` +
          (Number(orphaned) ? `; ${orphaned} of them are 'included' in a batch marked failed/cancelled (they will never confirm)` : ''),
      );
      const tail = h.stack.worker.tail();
      if (tail) h.log(`  worker's last output:\n${tail}`);
      return { drained: false, stuck, orphaned: Number(orphaned) };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The API's count of settles answered on the recent-verify shortcut (`tollgate_settle_on_recent_verify_total`
 * on `/metrics`), or undefined when it cannot be read.
 */
async function shortcutSettles(h: Harness): Promise<number | undefined> {
  try {
    const res = await fetch(`${h.stack.apiUrl}/metrics`);
    const m = /^tollgate_settle_on_recent_verify_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(await res.text());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function settleScenario(h: Harness, target: 'tollgate' | 'reference'): Promise<SettleOutcome> {
  const { settleRate: rate, settleConnections: connections, duration } = h.flags;
  const count = Math.ceil(rate * duration);
  await freshPayers(h);
  const file = await prepareBodies(h, count);
  const preVerify = target === 'tollgate' && !h.flags.settleWithoutVerify;
  if (preVerify) {
    // A resource server calls /verify before it serves and /settle after: settle the way it meets payments.
    h.log(`settle tollgate: verifying the ${count.toLocaleString('en-US')} payments first (not measured)`);
    const { result } = await runLoad(
      h,
      { mode: 'closed', url: h.stack.apiUrl, path: '/verify', bodiesFile: file, headers: authHeaders(h, target), connections: 32, durationSeconds: 3600, timeoutSeconds: 10 },
      false,
    );
    const e = result.endpoints[0];
    if (e.ok !== count) throw new Error(`pre-verify: ${e.ok}/${count} valid (${JSON.stringify(e.reasons)}; ${e.samples[0] ?? ''})`);
  }
  await warmUp(h, target, '/settle');
  // The warm-up's payments must not still occupy the worker when the measured run starts.
  if (target === 'tollgate') await waitSettled(h, { timeoutMs: 120_000 });
  h.log(`settle ${target}: ${rate} req/s for ${duration} s, ${connections} connections`);
  const shortcutBefore = target === 'tollgate' ? await shortcutSettles(h) : undefined;
  const settleStarted = Date.now();
  let drainSeconds: number | null | undefined;
  let stuck: DrainResult | undefined;
  const { result, processes } = await runLoad(
    h,
    {
      mode: 'paced',
      url: baseUrl(h, target),
      path: '/settle',
      bodiesFile: file,
      headers: authHeaders(h, target),
      connections,
      rate,
      durationSeconds: duration,
      // The reference settles on chain inside the request: bound how long it may keep one.
      timeoutSeconds: target === 'tollgate' ? 10 : 30,
      lateStartGraceMs: 1000,
    },
    true,
  );
  rmSync(file, { force: true });
  const shortcutAfter = target === 'tollgate' ? await shortcutSettles(h) : undefined;
  if (target === 'tollgate') {
    // Not part of the /settle latency: how long the worker needs to put everything on chain afterwards.
    const drain = await waitSettled(h, { timeoutMs: h.flags.quick ? 120_000 : 300_000 });
    drainSeconds = drain.drained ? round((Date.now() - settleStarted) / 1000, 1) : null;
    if (!drain.drained) stuck = drain;
  }
  const e = result.endpoints[0];
  const s = summarizeRun(result, processes);
  const out: SettleOutcome = {
    ...s,
    rate,
    connections,
    scheduled: result.scheduled ?? count,
    unsent: result.unsent ?? 0,
    serviceP50: e.serviceLatency?.p50 ?? 0,
    serviceP99: e.serviceLatency?.p99 ?? 0,
    preVerified: preVerify,
    onShortcut: shortcutBefore !== undefined && shortcutAfter !== undefined ? shortcutAfter - shortcutBefore : undefined,
    drainSeconds,
    stuck,
    // Every answer was a success and (Tollgate) every queued payment then reached a final status.
    valid: cleanRun(s) && !stuck,
  };
  h.log(
    `  ${round(out.rps, 0)} req/s, p50 ${out.p50} ms, p95 ${out.p95} ms, p99 ${out.p99} ms` +
      (out.unsent ? `, ${out.unsent} not sent (too far behind)` : '') +
      (out.onShortcut !== undefined ? `, ${out.onShortcut} on the recent-verify shortcut` : '') +
      (out.rejected || out.non2xx || out.errors ? `, ${out.rejected} unsuccessful, ${out.non2xx} non-2xx, ${out.errors} errors` : '') +
      (drainSeconds !== undefined ? `; worker drained the queue ${drainSeconds === null ? 'NOT within the timeout' : `${drainSeconds} s after the first settle`}` : ''),
  );
  return out;
}
