/**
 * `npm run chaos`: Tollgate under faults, on a stack of its own, ending with ledger-versus-chain checks.
 *
 * Starts a private Postgres cluster (Debian binaries, `initdb`, free port), a private redis-server, anvil with
 * 1 s blocks and the devchain fixtures, a fault-injecting JSON-RPC proxy between Tollgate and anvil, and the
 * API and the settlement worker as separate child processes. It drives N distinct payments (verify, then
 * settle, over HTTP with a merchant key; identical bodies retried on transport errors and 5xx) while a schedule
 * injects faults; then waits for quiescence and checks the invariants of `checks.ts`. Prints a per-fault table
 * and, on the last line, a JSON summary. Exit status 0 when no invariant broke, 1 otherwise, 64 bad flags,
 * 130 interrupted. Every process and the temp dir are cleaned up, also on SIGINT and on failure.
 * All traffic stays on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Pool } from 'pg';
import { createPublicClient, getAddress, http, type Address, type PublicClient } from 'viem';
import { devchainViemChain, startDevchain, writeDeployment, type DevchainDeployment } from '@tollgate/devchain';
import { createDataSource, ensureDatabase, runMigrations } from '@tollgate/persistence';
import { MerchantsService } from '../apps/api/src/merchants/merchants.service';
import { signBodies, type SignedBody } from '../bench/sign';
import { fundPayers, freePort } from '../bench/stack';
import { checkInvariants, openWork } from './checks';
import { FaultProxy } from './rpc-proxy';
import { findPostgresBin, PgCluster, RedisServer } from './services';
import { parseArgs, UsageError, type Options } from './options';
import { log, sleep, Supervised } from './supervised';
import { payOnce, type PaymentRun } from './load';
import { FAULTS, type FaultCtx, type FaultRecord } from './faults';

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`chaos: ${e.message}\n`);
      return 64;
    }
    throw e;
  }
  const runStart = Date.now();
  const hardDeadline = runStart + opts.budgetMs;
  const stoppers: Array<{ name: string; stop: () => Promise<unknown>; sync?: () => void }> = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const s of stoppers.splice(0).reverse()) {
      await Promise.race([s.stop(), sleep(20_000)]).catch((e: Error) => log(`stopping ${s.name} failed: ${e.message}`));
    }
  };
  // Last resort (uncaught error, process.exit): whatever is still registered is stopped synchronously.
  process.on('exit', () => {
    for (const s of stoppers.splice(0).reverse()) s.sync?.();
  });
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Never outlive the budget: stop whatever is running and fail.
  const watchdog = setTimeout(() => {
    log(`the run exceeded its ${Math.round(opts.budgetMs / 1000)} s budget: stopping`);
    process.stdout.write(`${JSON.stringify({ ok: false, error: 'budget exceeded', payments: opts.payments })}\n`);
    void cleanup().then(() => process.exit(1));
  }, opts.budgetMs + 20_000);
  watchdog.unref();

  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-chaos-'));
  // Postgres runs as `postgres` and must reach its folder inside.
  chmodSync(tmp, 0o755);
  stoppers.push({ name: 'temp dir', stop: async () => rmSync(tmp, { recursive: true, force: true }), sync: () => rmSync(tmp, { recursive: true, force: true }) });
  const logDir = opts.logDir ?? tmp;

  try {
    log(`${opts.payments} payments at ${opts.rate}/s, concurrency ${opts.concurrency}${opts.quick ? ' (--quick)' : ''}; temp dir ${tmp}`);
    const [pgPort, redisPort, apiPort, workerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const pg = new PgCluster(findPostgresBin(), join(tmp, 'pg'), pgPort);
    const redis = new RedisServer(tmp, redisPort);
    stoppers.push({ name: 'postgres', stop: () => pg.stop(), sync: () => pg.stopSync() });
    stoppers.push({ name: 'redis', stop: () => redis.stop(), sync: () => redis.stopSync() });
    log('starting postgres (initdb), redis-server and anvil (1 s blocks)');
    const [, , devchain] = await Promise.all([
      pg.start(),
      redis.start(),
      startDevchain({ blockTimeSeconds: 1, payerCount: 1, relayerCount: 2, payToCount: 3 }),
    ]);
    stoppers.push({ name: 'anvil', stop: () => devchain.anvil.stop(), sync: () => void process.kill(devchain.anvil.pid, 'SIGKILL') });
    const deployment: DevchainDeployment = devchain.deployment;
    const anvilUrl = deployment.rpcUrl;
    const proxy = new FaultProxy(anvilUrl);
    await proxy.start();
    stoppers.push({ name: 'rpc proxy', stop: () => proxy.stop() });
    // Tollgate reaches the chain only through the proxy.
    const deploymentFile = join(tmp, 'deployment.json');
    await writeDeployment(deploymentFile, { ...deployment, rpcUrl: proxy.url });

    const databaseUrl = `${pg.url}/tollgate_chaos`;
    await ensureDatabase(databaseUrl);
    const ds = await createDataSource({ databaseUrl, poolSize: 2, applicationName: 'tollgate-chaos' }).initialize();
    await runMigrations(ds);
    const payTo = deployment.payTo.map((p) => getAddress(p.address));
    const merchant = await new MerchantsService(ds).create({ name: 'chaos merchant', payTo, settlementMode: 'deferred' });
    await ds.destroy();
    const db = new Pool({ connectionString: databaseUrl, max: 3, application_name: 'tollgate-chaos', connectionTimeoutMillis: 5_000 });
    db.on('error', () => undefined);
    stoppers.push({ name: 'chaos db pool', stop: () => db.end() });

    log('funding payers and signing payments');
    const payers = await fundPayers(deployment, 16);
    const amount = 1_000n;
    const perPayTo = payTo.map((p, i) => signBodies({ deployment, payers, payTo: p, amount, validForSeconds: 7200 }, Math.ceil((opts.payments - i) / payTo.length), i));
    const bodies: Array<{ body: SignedBody; payTo: Address }> = [];
    for (let i = 0; i < opts.payments; i++) bodies.push({ body: perPayTo[i % payTo.length][Math.floor(i / payTo.length)], payTo: payTo[i % payTo.length] });

    const settings: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'tollgate-chaos',
      DEVCHAIN_FILE: deploymentFile,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(workerPort),
      // Two blocks: a one-block reorg hits payments that are included but not yet confirmed.
      CONFIRMATIONS_31337: '2',
      BATCH_MAX_WAIT_MS: '1000',
      TX_REPLACE_AFTER_MS: '6000',
      TX_POLL_MS: '250',
      SWEEP_INTERVAL_MS: '2000',
      WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex'),
    };
    const apiLog = createWriteStream(join(logDir, 'api.log'));
    const workerLog = createWriteStream(join(logDir, 'worker.log'));
    const api = new Supervised('api', 'apps/api/src/main.ts', { ...settings, DATABASE_POOL_SIZE: '10' }, `http://127.0.0.1:${apiPort}/supported`, apiLog);
    const worker = new Supervised('worker', 'apps/worker/src/main.ts', { ...settings, DATABASE_POOL_SIZE: '8' }, `http://127.0.0.1:${workerPort}/health/ready`, workerLog);
    stoppers.push({ name: 'api', stop: () => api.stop(), sync: () => api.proc?.child.kill('SIGKILL') });
    stoppers.push({ name: 'worker', stop: () => worker.stop(), sync: () => worker.proc?.child.kill('SIGKILL') });
    log('starting the API and the worker');
    api.spawn();
    worker.spawn();
    const [apiBootMs, workerBootMs] = await Promise.all([api.ready(180_000), worker.ready(180_000)]);
    log(`API ready in ${apiBootMs} ms, worker in ${workerBootMs} ms`);

    // ── load and faults, concurrently ──
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const runs: PaymentRun[] = bodies.map((b) => ({
      payer: b.body.payer,
      nonce: b.body.nonce,
      payTo: b.payTo,
      amount,
      answeredSuccess: false,
      startedAt: 0,
      verifyAttempts: 0,
      settleAttempts: 0,
    }));
    const loadStart = Date.now();
    const loadMs = (opts.payments / opts.rate) * 1000;
    // Leave time for quiescence and the checks inside the budget.
    const loadStopAt = hardDeadline - (opts.quick ? 60_000 : 150_000);
    const stopLoad = () => interrupted || Date.now() > loadStopAt;
    let next = 0;
    let done = 0;
    const loadWorkers = Array.from({ length: opts.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= runs.length || stopLoad()) return;
        const due = loadStart + (i * 1000) / opts.rate;
        if (due > Date.now()) await sleep(due - Date.now());
        runs[i].startedAt = Date.now();
        await payOnce(apiUrl, merchant.apiKey, bodies[i].body, runs[i], stopLoad);
        runs[i].endedAt = Date.now();
        done++;
      }
    });
    const progress = setInterval(() => {
      const ok = runs.filter((r) => r.answeredSuccess).length;
      log(`load: ${done}/${runs.length} done, ${ok} settled ok, proxy ${proxy.requests} rpc requests`);
    }, 10_000);

    const cycles = opts.quick ? 1 : Math.max(1, Math.ceil(opts.payments / 2_500));
    const schedule = Array.from({ length: cycles }, () => FAULTS).flat();
    const spacing = loadMs / (schedule.length + 1);
    const ctx: FaultCtx = { api, worker, pg, redis, proxy, anvilUrl, relayers: new Set(deployment.relayers.map((r) => r.address.toLowerCase())), workerBootMs };
    const faults: FaultRecord[] = [];
    const faultRunner = (async () => {
      for (let k = 0; k < schedule.length; k++) {
        const due = loadStart + (k + 1) * spacing;
        if (due > Date.now()) await sleep(due - Date.now());
        if (stopLoad()) return;
        const f = schedule[k];
        const startedAt = Date.now();
        log(`fault: ${f.name}`);
        let detail: string;
        try {
          detail = await f.fn(ctx);
        } catch (e) {
          detail = `injection failed: ${(e as Error).message}`;
        }
        faults.push({ name: f.name, startedAt, endedAt: Date.now(), detail });
        log(`fault: ${f.name}: ${detail}`);
      }
    })();
    await Promise.all([...loadWorkers, faultRunner]);
    clearInterval(progress);
    proxy.setFault(null);
    const loadEnd = Date.now();
    log(`load done in ${Math.round((loadEnd - loadStart) / 1000)} s: ${runs.filter((r) => r.answeredSuccess).length}/${runs.length} settled ok`);

    // ── quiescence ──
    const pub = createPublicClient({ chain: devchainViemChain(deployment.chainId, anvilUrl), transport: http(anvilUrl) }) as PublicClient;
    const relayerAddrs = deployment.relayers.map((r) => getAddress(r.address));
    const quietBy = Math.min(Date.now() + (opts.quick ? 120_000 : 240_000), hardDeadline - 20_000);
    let quietStreak = 0;
    let lastOpen = '';
    while (Date.now() < quietBy && !interrupted) {
      try {
        const o = await openWork(db, pub, relayerAddrs);
        const total = o.rows + o.batches + o.txs + o.mempool;
        lastOpen = `${JSON.stringify(o.byStatus)} batches ${o.batches} txs ${o.txs} mempool ${o.mempool}`;
        quietStreak = total === 0 ? quietStreak + 1 : 0;
        if (quietStreak >= 2) break;
      } catch {
        quietStreak = 0;
      }
      await sleep(1_000);
    }
    const quiescent = quietStreak >= 2;
    log(quiescent ? `quiescent ${Math.round((Date.now() - loadEnd) / 1000)} s after the load` : `NOT quiescent after ${Math.round((Date.now() - loadEnd) / 1000)} s: ${lastOpen}`);

    // ── checks ──
    const result = await checkInvariants({ db, pub, token: getAddress(deployment.token.address), payTo, relayers: relayerAddrs, outcomes: runs.filter((r) => r.startedAt > 0) });

    // Per fault: time to recover = from the injection until every payment accepted (settle answered success)
    // during it, or in the 3 s after its start, is confirmed: "never" when one of them is not. With nothing
    // accepted in that window: until the next inclusion after it. Worst latency: the slowest verify+settle
    // (client retries included) among payments started between this fault and the next.
    const confirmedAt = new Map<string, number | null>();
    for (const r of (await db.query<{ payer: string; nonce: string; confirmed_at: Date | null; status: string }>(`SELECT payer, nonce, confirmed_at, status FROM payments`)).rows) {
      confirmedAt.set(`${r.payer}:${r.nonce}`, r.status === 'confirmed' && r.confirmed_at ? r.confirmed_at.getTime() : null);
    }
    const includedAfter = async (t: number): Promise<number | null> => {
      const r = await db.query<{ t: Date | null }>(`SELECT min(created_at) AS t FROM payment_events WHERE to_status = 'included' AND created_at > $1`, [new Date(t)]);
      return r.rows[0].t ? r.rows[0].t.getTime() : null;
    };
    for (let k = 0; k < faults.length; k++) {
      const f = faults[k];
      const windowEnd = k + 1 < faults.length ? faults[k + 1].startedAt : loadEnd;
      const inWindow = runs.filter((r) => r.startedAt >= f.startedAt && r.startedAt < windowEnd && r.endedAt);
      f.payments = inWindow.length;
      f.worstLatencyMs = inWindow.length ? Math.max(...inWindow.map((r) => r.endedAt! - r.startedAt)) : null;
      const cohortEnd = Math.max(f.endedAt, f.startedAt + 3_000);
      const cohort = runs.filter((r) => r.answeredSuccess && r.settleAnsweredAt! >= f.startedAt && r.settleAnsweredAt! <= cohortEnd);
      f.cohort = cohort.length;
      if (cohort.length) {
        const times = cohort.map((r) => confirmedAt.get(`${r.payer.toLowerCase()}:${r.nonce.toLowerCase()}`) ?? null);
        f.unconfirmed = times.filter((t) => t === null).length;
        f.recoverMs = f.unconfirmed ? null : Math.max(...(times as number[])) - f.startedAt;
      } else {
        const back = await includedAfter(f.endedAt);
        f.recoverMs = back === null ? null : back - f.startedAt;
      }
    }

    // ── report ──
    const outcomes: Record<string, number> = {};
    for (const r of runs) if (r.outcome && r.outcome !== 'success') outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const issued = runs.filter((r) => r.startedAt > 0).length;
    const answeredSuccess = runs.filter((r) => r.answeredSuccess).length;
    const latencies = runs.filter((r) => r.endedAt).map((r) => r.endedAt! - r.startedAt).sort((a, b) => a - b);
    const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : null);
    const ok = result.lost === 0 && result.settledTwice === 0 && result.stuck === 0 && result.historyGaps === 0 && result.ledgerMatchesChain && issued === opts.payments;

    const out: string[] = [];
    out.push('');
    out.push(`Tollgate chaos run: ${opts.payments} payments, ${faults.length} faults, ${Math.round((Date.now() - runStart) / 1000)} s`);
    out.push('');
    const w = Math.max(...faults.map((f) => f.name.length), 5);
    out.push(`${'fault'.padEnd(w)}  ${'at s'.padStart(6)}  ${'recover ms'.padStart(10)}  ${'worst ms'.padStart(9)}  ${'started'.padStart(7)}  ${'accepted'.padStart(8)}  ${'unconf.'.padStart(7)}  detail`);
    for (const f of faults) {
      out.push(
        `${f.name.padEnd(w)}  ${((f.startedAt - loadStart) / 1000).toFixed(1).padStart(6)}  ${String(f.recoverMs ?? 'never').padStart(10)}  ${String(f.worstLatencyMs ?? '-').padStart(9)}  ${String(f.payments).padStart(7)}  ${String(f.cohort).padStart(8)}  ${String(f.unconfirmed ?? 0).padStart(7)}  ${f.detail}`,
      );
    }
    out.push('recover: injection → every payment accepted during it (or within 3 s of it) confirmed; worst: slowest verify+settle started before the next fault');
    out.push('');
    out.push(`payments   ${issued} issued, ${answeredSuccess} answered success; other answers: ${JSON.stringify(outcomes)}`);
    out.push(`latency    verify+settle incl. client retries: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);
    out.push(`ledger     ${JSON.stringify(result.statuses)}; failed reasons ${JSON.stringify(result.failureReasons)}`);
    out.push(`processes  API started ${api.starts}x (${api.crashes} crash(es)), worker started ${worker.starts}x (${worker.crashes} crash(es))`);
    for (const p of result.perPayTo) out.push(`payTo      ${p.payTo}: confirmed ${p.confirmedSum}, balance ${p.balanceChange}, Transfer logs ${p.transferSum}`);
    out.push(`checks     lost ${result.lost}, settled twice ${result.settledTwice}, stuck ${result.stuck}, history gaps ${result.historyGaps}, ledger matches chain ${result.ledgerMatchesChain}, quiescent ${quiescent}`);
    if (result.refusedButSettled) out.push(`note       ${result.refusedButSettled} payment(s) were refused or unanswered at /settle but settled on chain anyway`);
    for (const v of result.violations.slice(0, 25)) out.push(`VIOLATION  ${v.kind}: ${v.detail}`);
    if (result.violations.length > 25) out.push(`VIOLATION  … and ${result.violations.length - 25} more`);
    out.push(`result     ${ok ? 'OK: every invariant held' : 'FAILED: see the violations above'}`);
    process.stdout.write(`${out.join('\n')}\n`);
    const summary = {
      ok,
      payments: opts.payments,
      issued,
      answeredSuccess,
      otherAnswers: outcomes,
      lost: result.lost,
      settledTwice: result.settledTwice,
      historyGaps: result.historyGaps,
      stuck: result.stuck,
      ledgerMatchesChain: result.ledgerMatchesChain,
      quiescent,
      refusedButSettled: result.refusedButSettled,
      statuses: result.statuses,
      failureReasons: result.failureReasons,
      crashes: { api: api.crashes, worker: worker.crashes },
      latencyMs: { p50: pct(50), p99: pct(99), max: pct(100) },
      faults: faults.map((f) => ({ name: f.name, atMs: f.startedAt - loadStart, recoverMs: f.recoverMs ?? null, worstLatencyMs: f.worstLatencyMs ?? null, payments: f.payments, accepted: f.cohort, unconfirmed: f.unconfirmed ?? 0, detail: f.detail })),
      violations: result.violations.slice(0, 50),
      durationMs: Date.now() - runStart,
    };
    await cleanup();
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return ok ? 0 : 1;
  } catch (e) {
    log(`failed: ${(e as Error).stack ?? (e as Error).message}`);
    await cleanup();
    process.stdout.write(`${JSON.stringify({ ok: false, error: (e as Error).message, payments: opts.payments })}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`chaos: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
