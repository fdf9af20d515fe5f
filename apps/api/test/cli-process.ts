import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** What a CLI run printed and how it ended. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the repository's CLIs (`apps/api/src/cli/<script>.ts`) under ts-node, as `npm run` does, without
 * blocking this process. The API under test runs in this process: a synchronous spawn would freeze it for
 * the CLI's whole boot (seconds), long enough for its keep-alive timeout to close a socket the test's HTTP
 * client is about to reuse, which then failed with ECONNRESET.
 */
export function runCli(script: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/ts-node/dist/bin.js'), '-T', '-r', 'tsconfig-paths/register', `apps/api/src/cli/${script}.ts`, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
