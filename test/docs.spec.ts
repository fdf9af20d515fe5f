import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '@tollgate/config';
import { listReasonCodes } from '@tollgate/protocol';

/** The README is the front door: it must stay true as codes and settings are added. */
describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const envExample = readFileSync(join(__dirname, '..', '.env.example'), 'utf8');

  it('documents every reason code', () => {
    const missing = listReasonCodes().filter((r) => !readme.includes(`\`${r.code}\``)).map((r) => r.code);
    expect(missing).toEqual([]);
  });

  it('documents every configuration variable, in the README and in .env.example', () => {
    expect(CONFIG_VARIABLES.filter((v) => !readme.includes(v))).toEqual([]);
    expect(CONFIG_VARIABLES.filter((v) => !envExample.includes(`${v}=`))).toEqual([]);
  });

  it('gives the test command CI runs', () => {
    expect(readme).toContain('npm test');
    expect(readFileSync(join(__dirname, '..', '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
