/**
 * The load generator, run as its own process so its CPU never counts against the server it measures.
 *
 *   node -r ts-node/register/transpile-only bench/load.ts <options.json>
 *
 * It reads the options file and the pre-signed bodies (NDJSON, one `/verify`/`/settle` body per line), prints
 * `READY`, waits for `GO` on stdin (so the parent starts its CPU/memory meters at the same instant), runs, and
 * prints `RESULT <json>` as its last line, then idles until stdin closes. Every request carries the next unused body: an authorization is
 * never sent twice within a run (a repeat would measure Tollgate's retry path, not verification).
 *
 * Modes:
 * - `closed`: autocannon, N connections each sending its next request when the previous answer arrives,
 *   for `durationSeconds` (or until the bodies run out: `exhausted` in the result).
 * - `pair`: autocannon, each connection sends `/verify` then `/settle` of the same body, `payments` times
 *   in total (the end-to-end flow of a resource server).
 * - `paced`: open loop at a fixed rate with node:http. Request i is due at start + i/rate; at most
 *   `connections` are in flight; latency is measured from the due time (so a server that falls behind is
 *   charged for the queueing it causes: no coordinated omission). autocannon's own `overallRate` is not
 *   used here: it gives each connection a per-second budget that it spends back-to-back at the top of every
 *   second (bursts of `connections` concurrent requests, not a steady rate), and it "corrects" latencies
 *   with a 1 ms expected interval, which multiplies every slow sample. Neither fits a p99 ≤ 10 ms target.
 *
 * Latency percentiles are computed here from every response (autocannon's histogram has no p95 and only
 * records 2xx answers).
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';

/** What the parent asks for (written to a JSON file, path in argv[2]). */
export interface LoadOptions {
  mode: 'closed' | 'paced' | 'pair';
  /** Base URL, e.g. http://127.0.0.1:4020 */
  url: string;
  /** `/verify` or `/settle` (closed, paced). */
  path?: string;
  bodiesFile: string;
  headers: Record<string, string>;
  connections: number;
  /** closed, paced: how long to send. */
  durationSeconds?: number;
  /** paced: requests per second. */
  rate?: number;
  /** pair: payments (verify + settle each); a multiple of `connections`. */
  payments?: number;
  /** Per-request timeout. */
  timeoutSeconds: number;
  /** paced: after the sending window, how long a late request may still start. */
  lateStartGraceMs?: number;
}

/** Latency summary in milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Outcome counts and latencies of one endpoint within a run. */
export interface EndpointResult {
  path: string;
  /** Answers received (any status). */
  responses: number;
  /** 2xx answers whose body says valid (`isValid: true` / `success: true`). */
  ok: number;
  /** 2xx answers whose body says invalid / unsuccessful. */
  rejected: number;
  non2xx: number;
  /** Reason code → count, over rejected and non-2xx answers. */
  reasons: Record<string, number>;
  /** First few rejected or non-2xx bodies, truncated. */
  samples: string[];
  latency: LatencySummary;
  /** paced only: from the moment the request was written (excludes client-side queueing). */
  serviceLatency?: LatencySummary;
}

/** What the runner prints after `RESULT `. */
export interface LoadResult {
  mode: LoadOptions['mode'];
  /** Epoch ms when sending began / when the last answer arrived. */
  startedAt: number;
  finishedAt: number;
  /** Seconds from the first send to the last answer. */
  elapsedSeconds: number;
  /** Answers per second over `elapsedSeconds` (pair: payments per second). */
  rps: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Bodies used, and whether the run stopped because none were left. */
  bodiesUsed: number;
  bodiesAvailable: number;
  exhausted: boolean;
  /** paced: requests scheduled in the window; not sent because the server had fallen too far behind. */
  scheduled?: number;
  unsent?: number;
  endpoints: EndpointResult[];
}

/** Nearest-rank percentiles of a sample (sorted in place). */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: sorted.length, mean: r(sum / sorted.length), p50: r(at(50)), p95: r(at(95)), p99: r(at(99)), max: r(sorted[sorted.length - 1]) };
}

/** Collects outcomes of one endpoint. */
class Tally {
  readonly latencies: number[] = [];
  readonly service: number[] = [];
  responses = 0;
  ok = 0;
  rejected = 0;
  non2xx = 0;
  readonly reasons: Record<string, number> = {};
  readonly samples: string[] = [];

  constructor(
    readonly path: string,
    private readonly okMarker: string,
  ) {}

  record(status: number, body: string): void {
    this.responses++;
    const is2xx = status >= 200 && status < 300;
    if (is2xx && body.includes(this.okMarker)) {
      this.ok++;
      return;
    }
    if (is2xx) this.rejected++;
    else this.non2xx++;
    let reason = `http_${status}`;
    try {
      const parsed = JSON.parse(body) as { invalidReason?: string; errorReason?: string };
      reason = parsed.invalidReason ?? parsed.errorReason ?? reason;
    } catch {
      // not JSON: keep the status
    }
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    if (this.samples.length < 5) this.samples.push(`${status} ${body.slice(0, 300)}`);
  }

  result(): EndpointResult {
    return {
      path: this.path,
      responses: this.responses,
      ok: this.ok,
      rejected: this.rejected,
      non2xx: this.non2xx,
      reasons: this.reasons,
      samples: this.samples,
      latency: summarize(this.latencies),
      ...(this.service.length ? { serviceLatency: summarize(this.service) } : {}),
    };
  }
}

const okMarkerFor = (path: string) => (path === '/verify' ? '"isValid":true' : '"success":true');

function readBodies(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

/** closed and pair modes: autocannon. */
function runAutocannon(opts: LoadOptions, bodies: string[]): Promise<LoadResult> {
  let next = 0;
  let exhausted = false;
  const take = (): string | null => {
    if (next >= bodies.length) {
      exhausted = true;
      return null;
    }
    return bodies[next++];
  };
  const headers = { 'content-type': 'application/json', ...opts.headers };
  const tallies = new Map<string, Tally>();
  const tallyFor = (path: string) => {
    let t = tallies.get(path);
    if (!t) tallies.set(path, (t = new Tally(path, okMarkerFor(path))));
    return t;
  };
  // onResponse runs synchronously just before autocannon emits 'response' for the same answer
  // (httpClient.js kOnMessageComplete), so this names the endpoint the next latency sample belongs to.
  let lastAnswered: Tally | undefined;
  const onResponse = (t: Tally) => (status: number, body: string) => {
    t.record(status, body);
    lastAnswered = t;
  };

  let requests: autocannon.Request[];
  let maxOverallRequests: number;
  if (opts.mode === 'pair') {
    const verify = tallyFor('/verify');
    const settle = tallyFor('/settle');
    requests = [
      {
        method: 'POST',
        path: '/verify',
        headers,
        setupRequest: (req, ctx) => {
          const body = take();
          if (body === null) return null;
          ctx.body = body;
          return { ...req, body };
        },
        onResponse: onResponse(verify),
      },
      { method: 'POST', path: '/settle', headers, setupRequest: (req, ctx) => ({ ...req, body: ctx.body as string }), onResponse: onResponse(settle) },
    ];
    maxOverallRequests = 2 * (opts.payments ?? bodies.length);
  } else {
    const path = opts.path ?? '/verify';
    const t = tallyFor(path);
    requests = [
      {
        method: 'POST',
        path,
        headers,
        setupRequest: (req) => {
          const body = take();
          return body === null ? null : { ...req, body };
        },
        onResponse: onResponse(t),
      },
    ];
    // Each connection stops after its share; the sum never exceeds the bodies we have.
    maxOverallRequests = bodies.length;
  }

  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    let lastAnswerAt = startedAt;
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        pipelining: 1,
        timeout: opts.timeoutSeconds,
        // pair runs until every payment is done; a generous ceiling keeps a stuck server from hanging us.
        duration: opts.mode === 'pair' ? 3600 : opts.durationSeconds ?? 10,
        maxOverallRequests,
        requests,
      },
      (err, res) => {
        if (err) return reject(err);
        const endpoints = [...tallies.values()].map((t) => t.result());
        const elapsedSeconds = Math.max(0.001, (lastAnswerAt - startedAt) / 1000);
        const units = opts.mode === 'pair' ? (tallies.get('/settle')?.responses ?? 0) : endpoints.reduce((s, e) => s + e.responses, 0);
        resolve({
          mode: opts.mode,
          startedAt,
          finishedAt: lastAnswerAt,
          elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
          rps: Math.round((units / elapsedSeconds) * 10) / 10,
          errors: res.errors,
          timeouts: res.timeouts,
          bodiesUsed: next,
          bodiesAvailable: bodies.length,
          // Every connection stops at its share of the bodies, so running out shows as all of them used.
          exhausted: exhausted || next >= bodies.length,
          endpoints,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      lastAnswerAt = Date.now();
      lastAnswered?.latencies.push(responseTime);
    });
  });
}

/** paced mode: an open-loop schedule over a keep-alive node:http agent. */
async function runPaced(opts: LoadOptions, bodies: string[]): Promise<LoadResult> {
  const rate = opts.rate ?? 1000;
  const duration = opts.durationSeconds ?? 10;
  const scheduled = Math.min(bodies.length, Math.floor(rate * duration));
  const target = new URL(opts.path ?? '/settle', opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  const tally = new Tally(target.pathname, okMarkerFor(target.pathname));
  const graceMs = opts.lateStartGraceMs ?? 1000;
  let next = 0;
  let errors = 0;
  let timeouts = 0;
  let unsent = 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  const windowEnd = t0 + duration * 1000;
  let lastAnswerAt = startedAt;

  const send = (body: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...opts.headers },
          timeout: opts.timeoutSeconds * 1000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'BENCH_TIMEOUT' })));
      req.on('error', reject);
      req.end(body);
    });

  const lane = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= scheduled) return;
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      // A server that is far behind would otherwise keep us sending long after the window: stop starting.
      if (performance.now() > windowEnd + graceMs) {
        unsent += scheduled - i;
        next = scheduled;
        return;
      }
      const sentAt = performance.now();
      try {
        const res = await send(bodies[i]);
        const end = performance.now();
        lastAnswerAt = Date.now();
        tally.record(res.status, res.body);
        tally.latencies.push(end - due);
        tally.service.push(end - sentAt);
      } catch (e) {
        if ((e as { code?: string }).code === 'BENCH_TIMEOUT') timeouts++;
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, lane));
  agent.destroy();
  const elapsedSeconds = Math.max(0.001, (lastAnswerAt - startedAt) / 1000);
  return {
    mode: 'paced',
    startedAt,
    finishedAt: lastAnswerAt,
    elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    rps: Math.round((tally.responses / elapsedSeconds) * 10) / 10,
    errors,
    timeouts,
    bodiesUsed: Math.min(next, scheduled) - unsent,
    bodiesAvailable: bodies.length,
    exhausted: bodies.length < Math.floor(rate * duration),
    scheduled,
    unsent,
    endpoints: [tally.result()],
  };
}

async function main(): Promise<void> {
  const opts = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadOptions;
  const bodies = readBodies(opts.bodiesFile);
  if (bodies.length === 0) throw new Error(`no bodies in ${opts.bodiesFile}`);
  process.stdout.write('READY\n');
  // Wait for the parent's GO: it starts measuring every process at that moment.
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.on('line', (l) => l.trim() === 'GO' && resolve()));
  rl.close();
  const result = opts.mode === 'paced' ? await runPaced(opts, bodies) : await runAutocannon(opts, bodies);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Stay alive (idle) until the parent closes stdin or signals us: it reads our CPU counters from /proc
  // after the run, which it cannot do once we have exited and been reaped.
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    process.stdin.resume();
    process.once('SIGTERM', resolve);
  });
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`load generator failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
