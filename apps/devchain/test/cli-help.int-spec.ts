import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** Runs a dev CLI from source the way its npm script does. */
function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/ts-node/dist/bin.js'), '-T', '-r', 'tsconfig-paths/register', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DEVCHAIN_FILE: join(ROOT, '.scratch', 'no-such-deployment.json') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The README tells newcomers to try `--help`; it must answer, not fail with "Unknown option". */
describe('npm run sample-payment', () => {
  it('--help prints the usage and every flag on stdout and exits 0', () => {
    const r = run('apps/devchain/src/sample-payment.ts', ['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--pay-to', '--amount', '--payer', '--valid-for', '.devchain/deployment.json']) expect(r.stdout).toContain(flag);
  });

  it('an unknown flag is a usage error (64) that names the flag', () => {
    const r = run('apps/devchain/src/sample-payment.ts', ['--bogus']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('--bogus');
    expect(r.stderr).toContain('usage: npm run sample-payment');
  });
});
