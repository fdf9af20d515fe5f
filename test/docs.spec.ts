import { readdirSync, readFileSync } from 'node:fs';
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

  /** The quickstart, followed verbatim by someone new, must work: no placeholders, nothing used before it is set. */
  describe('quickstart', () => {
    const quickstart = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('## npm scripts'));

    it('sets TOLLGATE_API_KEY (from the merchant create output) before the first curl uses it', () => {
      const set = quickstart.indexOf('export TOLLGATE_API_KEY=');
      expect(set).toBeGreaterThan(quickstart.indexOf('merchant -- create'));
      expect(set).toBeLessThan(quickstart.indexOf('$TOLLGATE_API_KEY'));
    });

    it('uses a payTo address the devchain actually has, not a placeholder', () => {
      expect(quickstart).not.toMatch(/0xYour/i);
      expect(quickstart).toContain(`require('./.devchain/deployment.json').payTo[0].address`);
    });

    it('says each long-running process needs its own terminal and where the API and the OpenAPI JSON answer', () => {
      expect(quickstart).toMatch(/own terminal/);
      expect(quickstart).toContain('listening on http://127.0.0.1:4020');
      expect(readme).toContain('/docs-json');
    });

    it('keeps the payment.json it writes out of git', () => {
      expect(quickstart).toContain('> payment.json');
      expect(readFileSync(join(__dirname, '..', '.gitignore'), 'utf8').split('\n')).toContain('payment.json');
    });
  });

  /** The merchant section's programs are docs/examples/*.ts, which test/docs-examples.e2e-spec.ts runs: the README must show exactly them. */
  describe('merchant integration', () => {
    const section = readme.slice(readme.indexOf('## Integrating as a merchant'), readme.indexOf('## Operator console'));
    const examplesDir = join(__dirname, '..', 'docs', 'examples');
    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.ts')).sort();
    const blocks = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

    it('includes every docs/examples file verbatim, and no other TypeScript block', () => {
      expect(examples).toEqual(['client.ts', 'resource-server.ts', 'webhook-receiver.ts']);
      const files = examples.map((f) => readFileSync(join(examplesDir, f), 'utf8'));
      expect([...blocks].sort()).toEqual([...files].sort());
    });

    it('uses the official packages the issue names', () => {
      expect(section).toContain('HTTPFacilitatorClient');
      expect(section).toContain('createAuthHeaders');
      expect(section).toContain('spendControls: { allowedAssets:');
      expect(section).toContain("new Webhook(secret)");
    });
  });

  it('the folder table names every app and library', () => {
    const folders = ['apps', 'libs'].flatMap((d) => readdirSync(join(__dirname, '..', d), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${d}/${e.name}`));
    expect(folders.filter((f) => !readme.includes(`| \`${f}\` |`))).toEqual([]);
  });

  it('CI lints after building', () => {
    const ci = readFileSync(join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm run lint$/m);
    expect(ci.indexOf('npm run lint')).toBeGreaterThan(ci.indexOf('npm run build'));
  });
});
