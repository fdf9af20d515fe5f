/**
 * `npm run bench:floor`: what the HTTP stack alone costs per `/verify`-sized request on this machine, so the
 * per-verify CPU of `npm run bench` can be read against it (issue #16's CPU targets are sums over processes).
 *
 * For each server of bench/floor-server.ts (bare node:http, Nest on express as Tollgate runs, Nest on
 * Fastify) in its own process: 3 s of unmeasured warm-up, then autocannon (its own process) at each
 * concurrency for `--duration` seconds, posting the same ≈ 1 KB x402 v2 verify body. Both processes are
 * metered from /proc (bench/proc.ts). Rounds alternate the servers (`--rounds`, default 2) because this
 * machine's speed drifts by up to 2× within an hour; compare servers within a round.
 *
 * Flags: --duration <s> (default 8), --concurrency <list> (default 12), --rounds <n> (default 2).
 * Prints one Markdown table; writes nothing.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { freePort, REPO_ROOT, spawnTs, waitLine } from './children';
import { FLOOR_SERVERS } from './floor-server';
import { ProcessMeter } from './proc';

/** A v2 `/verify` body of the usual size (nothing checks its signature here). */
const BODY = JSON.stringify({
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    payload: {
      signature: `0x${'ab'.repeat(65)}`,
      authorization: {
        from: `0x${'11'.repeat(20)}`,
        to: `0x${'22'.repeat(20)}`,
        value: '1000',
        validAfter: '0',
        validBefore: '9999999999',
        nonce: `0x${'cd'.repeat(32)}`,
      },
    },
    accepted: { scheme: 'exact', network: 'eip155:31337', amount: '1000', asset: `0x${'33'.repeat(20)}`, payTo: `0x${'22'.repeat(20)}`, maxTimeoutSeconds: 60, extra: { name: 'USD Coin', version: '2' } },
  },
  paymentRequirements: { scheme: 'exact', network: 'eip155:31337', amount: '1000', asset: `0x${'33'.repeat(20)}`, payTo: `0x${'22'.repeat(20)}`, maxTimeoutSeconds: 60, extra: { name: 'USD Coin', version: '2' } },
});

interface Row {
  round: number;
  server: string;
  concurrency: number;
  rps: number;
  p99: number;
  non2xx: number;
  serverMs: number;
  loadMs: number;
}

/**
 * autocannon in its own process: it prints its result as one JSON line, then idles until its stdin closes, so
 * its CPU can still be read from /proc after the run (as bench/load.ts does for the main bench).
 */
const LOAD_SCRIPT = `
const autocannon = require(process.argv[1]);
const [url, connections, duration, body] = process.argv.slice(2);
autocannon({ url, connections: Number(connections), duration: Number(duration), method: 'POST', headers: { 'content-type': 'application/json' }, body }, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ total: r.requests.total, average: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx }) + '\\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
});`;

/** One measured run against `url`: throughput, p99 and both processes' CPU per request. */
async function run(url: string, connections: number, seconds: number, serverPid: number): Promise<Omit<Row, 'round' | 'server' | 'concurrency'>> {
  const lib = require.resolve('autocannon', { paths: [REPO_ROOT] });
  const child = spawn(process.execPath, ['-e', LOAD_SCRIPT, lib, url, String(connections), String(seconds), BODY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const meter = new ProcessMeter([
    { name: 'server', pid: serverPid },
    { name: 'load', pid: child.pid as number },
  ]);
  await meter.start();
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) resolveLine(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) before its result`)));
  });
  const usage = await meter.stop();
  child.stdin!.end();
  const r = JSON.parse(line) as { total: number; average: number; p99: number; non2xx: number };
  const n = Math.max(1, r.total);
  const ms = (name: string) => usage.find((u) => u.name === name)?.cpuMs ?? NaN;
  return { rps: Math.round(r.average), p99: r.p99, non2xx: r.non2xx, serverMs: ms('server') / n, loadMs: ms('load') / n };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string' }, concurrency: { type: 'string' }, rounds: { type: 'string' } } });
  const duration = Number(values.duration ?? 8);
  const rounds = Number(values.rounds ?? 2);
  const concurrency = (values.concurrency ?? '12').split(',').map(Number);
  if (!(duration > 0) || !(rounds > 0) || concurrency.some((c) => !(c > 0))) {
    process.stderr.write('usage: npm run bench:floor -- [--duration <s>] [--concurrency <list>] [--rounds <n>]\n');
    process.exit(64);
  }
  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const server of FLOOR_SERVERS) {
      const port = await freePort();
      const p = spawnTs(server, 'bench/floor-server.ts', {}, { paths: false, args: [server, String(port)] });
      try {
        await waitLine(p, /^LISTENING$/, 60_000);
        const url = `http://127.0.0.1:${port}/verify`;
        await run(url, 8, 3, p.pid); // warm-up (JIT), not reported
        for (const c of concurrency) {
          const r = await run(url, c, duration, p.pid);
          rows.push({ round, server, concurrency: c, ...r });
          process.stderr.write(`[floor] round ${round} ${server} c=${c}: ${r.rps} req/s, server ${r.serverMs.toFixed(3)} ms/request\n`);
        }
      } finally {
        await p.stop();
      }
    }
  }
  const lines = [
    '| round | server | concurrency | req/s | p99 ms | non-2xx | server CPU ms / request | load generator CPU ms / request |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.round} | ${r.server} | ${r.concurrency} | ${r.rps.toLocaleString('en-US')} | ${r.p99} | ${r.non2xx} | ${r.serverMs.toFixed(3)} | ${r.loadMs.toFixed(3)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (rows.some((r) => r.non2xx > 0)) process.exit(1);
}

void main();
