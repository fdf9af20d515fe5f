import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { eventually, merchantClient, startSettlement, WEBHOOK_TEST_ENV, type SettlementFixture } from '@tollgate/testing';
import { spawnWorker, type WorkerProcess } from '../apps/worker/test/settlement-support';

const ROOT = join(__dirname, '..');

/** A program run as its own process with ts-node, as the README tells a merchant to run it. */
interface Program {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Waits until stdout matches `re`; returns the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const programs: Program[] = [];

function run(file: string, env: Record<string, string>, args: string[] = [], preload: string[] = []): Program {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', ...preload, file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const program: Program = {
    child,
    output: () => out,
    exited,
    waitFor: (re, timeoutMs = 90_000) => eventually(`${file} to print ${re}`, async () => out.match(re), timeoutMs, () => `output so far:\n${out}`),
  };
  programs.push(program);
  return program;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Metric names a Prometheus text exposition declares (`# TYPE`), with the series names histograms and summaries add. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
  }
  return names;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers outside label matchers, ranges, strings and
 * grouping clauses that are neither functions (followed by `(`) nor keywords.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const isCall = /^\s*\(/.test(stripped.slice(m.index! + m[0].length));
    if (!isCall && !PROMQL_WORDS.has(m[0].toLowerCase())) names.push(m[0]);
  }
  return [...new Set(names)];
}

/**
 * What the README promises, checked on a running Tollgate — the API, the worker as its own process
 * (`npm run start:worker`: settlement, webhook delivery, /metrics) and a private anvil: the Quickstart's
 * API start-up line, the merchant examples (docs/examples, included in the README verbatim:
 * test/docs.spec.ts) and the example alert rules (docs/alerts).
 */
describe('docs against a running Tollgate', () => {
  let f: SettlementFixture;
  let worker: WorkerProcess;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    f = await startSettlement({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '300' }, 53);
    worker = spawnWorker(f);
    const port = await eventually('the worker to serve /metrics', async () => worker.stdout().match(/health and metrics on http:\/\/[^:]+:(\d+)/)?.[1], 90_000, () => worker.stdout());
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  }, 150_000);

  afterAll(async () => {
    for (const p of programs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(programs.map((p) => p.exited));
    await worker?.kill('SIGTERM');
    await f?.stop();
  });

  it('Quickstart: `npm run start:api` says where it listens, with the OpenAPI UI and JSON', async () => {
    const c = f.api.config;
    const api = run('apps/api/src/main.ts', {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: c.databaseUrl,
      REDIS_URL: c.redisUrl,
      QUEUE_PREFIX: c.queuePrefix,
      DEVCHAIN_FILE: f.api.chain.deploymentFile,
      API_PORT: '0',
      TS_NODE_TRANSPILE_ONLY: '1',
    }, [], ['-r', 'tsconfig-paths/register']);
    const [, url] = await api.waitFor(/Tollgate API listening on (http:\/\/127\.0\.0\.1:\d+) \(OpenAPI: \1\/docs, JSON: \1\/docs-json\)/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const openapi = await fetch(`${url}/docs-json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { paths: Record<string, unknown> }).paths).toHaveProperty('/verify');
    api.child.kill('SIGTERM');
    await api.exited;
  }, 120_000);

  it('docs/examples: the client pays the resource server through Tollgate; the receiver verifies the signed webhooks', async () => {
    const deploymentFile = f.api.chain.deploymentFile;
    // The merchant registers its receiver (README: POST /v1/merchant/webhook-endpoints) and keeps the secret.
    const receiverPort = await freePort();
    const created = await merchantClient(f.api.baseUrl, f.apiKey).post('/v1/merchant/webhook-endpoints', {
      url: `http://127.0.0.1:${receiverPort}/webhooks/tollgate`,
      eventTypes: ['payment.queued', 'payment.included', 'payment.confirmed'],
    });
    expect(created.status).toBe(201);

    const receiver = run('docs/examples/webhook-receiver.ts', { WEBHOOK_SECRET: created.body.secret, PORT: String(receiverPort) });
    const server = run('docs/examples/resource-server.ts', { TOLLGATE_URL: f.api.baseUrl, TOLLGATE_API_KEY: f.apiKey, PAY_TO: f.payTo, DEVCHAIN_FILE: deploymentFile, PORT: '0' });
    const [, url] = await server.waitFor(/resource server on (http:\/\/\S+)/);
    await receiver.waitFor(/webhook receiver on/);

    const unpaid = await fetch(url);
    expect(unpaid.status).toBe(402);

    const client = run('docs/examples/client.ts', { DEVCHAIN_FILE: deploymentFile }, [url]);
    expect(await client.exited).toBe(0);
    expect(client.output()).toMatch(/^200 \{"weather":"sunny","paid":true\}$/m);
    const [, reference] = client.output().match(/reference (pay_\S+) \(queued\)/) ?? [];
    expect(reference).toBeDefined();

    await f.waitForStatuses([reference], (s) => s[0] === 'confirmed', 60_000);
    for (const event of ['payment.queued', 'payment.included', 'payment.confirmed']) {
      await receiver.waitFor(new RegExp(`^verified \\S+ ${event.replace('.', '\\.')} ${reference} `, 'm'), 30_000);
    }
    const row = await f.statusOf(reference);
    expect(row.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
  }, 240_000);

  it('docs/alerts/tollgate.rules.yml names only metrics the API and the worker export', async () => {
    const doc = load(readFileSync(join(ROOT, 'docs/alerts/tollgate.rules.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string }> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    const [api, worker] = await Promise.all([f.api.baseUrl + '/metrics', workerMetricsUrl].map(async (u) => (await fetch(u)).text()));
    // `up` is Prometheus's own series for every scrape target.
    const exported = new Set(['up', ...exportedNames(api), ...exportedNames(worker)]);
    expect(exported.has('tollgate_verify_total') && exported.has('tollgate_relayer_nonce_gap')).toBe(true);

    // The reader finds what a typo would break.
    expect(metricNamesIn('sum by (le) (rate(tollgate_nope_bucket{a="b"}[5m])) > 1e16 and on() up')).toEqual(['tollgate_nope_bucket', 'up']);
    const used = rules.map((r) => ({ alert: r.alert, names: metricNamesIn(r.expr) }));
    expect(used.filter((u) => u.names.length === 0).map((u) => u.alert)).toEqual([]);
    const unknown = used.flatMap((u) => u.names.filter((n) => !exported.has(n)).map((n) => `${u.alert}: ${n}`));
    expect(unknown).toEqual([]);
  });
});
