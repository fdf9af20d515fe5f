import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@tollgate/testing';

const ROOT = join(__dirname, '..', '..', '..');
const EVM = 'eip155:31337';
/** The Solana devchain poses as devnet (`@x402/svm` knows only the fixed network ids). */
const SOLANA = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';

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

function portAnswers(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1_000) }).then(
    () => true,
    () => false,
  );
}

/** Runs `npm run demo -- <args>` with `env` on top of this process's environment. */
function runDemo(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Budget for the whole demo run. It starts five processes (devchain, API, two workers, resource server)
 * that each compile TypeScript at start: ≈ 25 s on an idle 2-core machine, several times that when the
 * machine is busy. The demo's own deadlines (e.g. --settle-timeout) decide success; this only bounds it.
 */
const DEMO_BUDGET_MS = 240_000;

/** `npm run demo` end to end, as a user runs it, on a private database, chain port and queue prefix. */
describe('npm run demo', () => {
  it('pays 20 times on both chains through the official packages, confirms everything, receives verified webhooks and reports it as JSON by network', async () => {
    const database = await createTestDatabase();
    const devchainPort = await freePort();
    const svmPort = await freePort();
    const deploymentFile = join(mkdtempSync(join(tmpdir(), 'tollgate-demo-')), 'deployment.json');
    try {
      const run = await runDemo(['--count', '20', '--concurrency', '10', '--json'], {
        DATABASE_URL: database.url,
        DEVCHAIN_FILE: deploymentFile,
        DEVCHAIN_PORT: String(devchainPort),
        DEVCHAIN_SVM_PORT: String(svmPort),
        API_PORT: '0',
        QUEUE_PREFIX: `tollgate-demo-test-${randomBytes(4).toString('hex')}`,
        BATCH_MAX_WAIT_MS: '500',
        BATCH_TICK_MS: '50',
        TX_POLL_MS: '100',
        WEBHOOK_SWEEP_INTERVAL_MS: '200',
      });
      const lines = run.stdout.trim().split('\n');
      if (run.code !== 0) throw new Error(`demo exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      const summary = JSON.parse(lines[lines.length - 1]);

      // Totals at the top level, as before: every payment on every network.
      expect(summary).toMatchObject({ ok: true, payments: 20, contentServed: 20, verified: 20, confirmed: 20, failed: 0, confirmedWithoutWebhook: 0 });
      expect(summary.networks).toEqual([EVM, SOLANA]);
      expect(summary.batchSizes.reduce((a: number, b: number) => a + b, 0)).toBe(20);
      expect(summary.gasPerPayment).toBeGreaterThan(0);
      expect(summary.gasPerPayment).toBeLessThan(summary.singleTxGas);
      expect(summary.inclusionP50Ms).toBeGreaterThan(0);
      expect(summary.inclusionP95Ms).toBeGreaterThanOrEqual(summary.inclusionP50Ms);

      // byNetwork: requests alternate, so each chain took 10, all confirmed.
      expect(Object.keys(summary.byNetwork).sort()).toEqual([EVM, SOLANA].sort());
      const counts = { payments: 10, contentServed: 10, verified: 10, settled: 10, included: 10, confirmed: 10, failed: 0, failures: {}, confirmedWithoutWebhook: 0 };
      const evm = summary.byNetwork[EVM];
      expect(evm).toMatchObject({ network: EVM, ...counts });
      for (const tx of evm.batches) expect(tx).toMatch(/^0x[0-9a-f]{64}$/);
      expect(evm.batchSizes.reduce((a: number, b: number) => a + b, 0)).toBe(10);
      expect(evm.gasPerPayment).toBe(summary.gasPerPayment);
      // Solana: one transaction per payment (its signature, base58), no gas figures.
      const sol = summary.byNetwork[SOLANA];
      expect(sol).toMatchObject({ network: SOLANA, ...counts, gasPerPayment: 0, singleTxGas: 0 });
      expect(sol.batches).toHaveLength(10);
      for (const sig of sol.batches) expect(sig).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
      expect(sol.batchSizes).toEqual(Array(10).fill(1));
      expect(summary.batches).toEqual([...evm.batches, ...sol.batches]);
      for (const e of [evm, sol]) expect(e.inclusionP95Ms).toBeGreaterThanOrEqual(e.inclusionP50Ms);

      // Merchant webhooks: every delivery verified with standardwebhooks, and each payment announced as
      // queued, included and confirmed (so at least 3 per payment).
      expect(summary.webhooksVerified).toBe(summary.webhooksReceived);
      expect(summary.webhooksVerified).toBeGreaterThanOrEqual(3 * summary.payments);
      for (const type of ['payment.queued', 'payment.included', 'payment.confirmed']) expect(summary.webhooksByType[type]).toBeGreaterThanOrEqual(summary.payments);
      expect(summary.webhooksByType['payment.failed']).toBe(0);

      // It stopped what it started: the chain is gone, and so is the deployment file describing it.
      expect(await portAnswers(devchainPort)).toBe(false);
      expect(await portAnswers(svmPort)).toBe(false);
      expect(existsSync(deploymentFile)).toBe(false);
    } finally {
      await database.drop();
    }
  }, DEMO_BUDGET_MS);
});
