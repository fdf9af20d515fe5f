/** Scenario 4: gas (bench/gas.ts, the `npm run bench:gas` measurement, in its own process). */
import { spawnTs } from './stack';
import { type GasOutcome } from './results';

export async function gasScenario(log: (line: string) => void, write: boolean): Promise<GasOutcome> {
  const args = write ? ['--json'] : ['--json', '--no-write'];
  log(`gas: npm run bench:gas -- ${args.join(' ')} (bench/gas.ts)`);
  const gas = spawnTs('bench:gas', 'bench/gas.ts', {}, { args });
  let stdout = '';
  gas.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => gas.child.once('exit', r));
  if (code !== 0) throw new Error(`bench:gas exited with ${code}:\n${gas.tail()}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as GasOutcome;
}
