import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { load } from 'js-yaml';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** What the production image runs (Dockerfile, docker-compose.yml): the processes and the operator CLIs. */
const RUNTIME_ENTRIES = ['apps/api/src/main.ts', 'apps/worker/src/main.ts', 'libs/persistence/src/cli/migrate.ts', 'apps/api/src/cli/merchant.ts', 'apps/api/src/cli/admin.ts'];
/** Loaded inside try/catch, absent on purpose in production (see libs/config/src/log-destination.ts). */
const OPTIONAL_AT_RUNTIME = new Set(['pino-pretty']);

/**
 * Every package the runtime entries load, as Node will see it: each reachable source file is transpiled
 * the way the build does (imports used only as types disappear), then `require("…")` and
 * `require.resolve("…")` are read. Relative and `@tollgate/*` imports are followed.
 */
function runtimePackages(): Map<string, string> {
  const paths = JSON.parse(read('tsconfig.json')).compilerOptions.paths as Record<string, string[]>;
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const toFile = (base: string): string | undefined => [`${base}.ts`, join(base, 'index.ts'), base].find((f) => existsSync(f) && f.endsWith('.ts'));
  const queue = RUNTIME_ENTRIES.map((f) => join(ROOT, f));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
    for (const m of js.matchAll(/require(?:\.resolve)?\(\s*["']([^"']+)["']/g)) {
      const spec = m[1];
      const alias = Object.keys(paths).find((k) => k === spec || (k.endsWith('/*') && spec.startsWith(k.slice(0, -1))));
      let target: string | undefined;
      if (spec.startsWith('.')) target = toFile(resolve(dirname(file), spec));
      else if (alias) target = toFile(join(ROOT, paths[alias][0].replace('*', spec.slice(alias.length - 1))));
      else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!spec.startsWith('node:') && !builtinModules.includes(name) && !packages.has(name)) packages.set(name, file.slice(ROOT.length + 1));
        continue;
      }
      if (!target) throw new Error(`${file}: cannot resolve ${spec}`);
      queue.push(target);
    }
  }
  return packages;
}

describe('production install (npm ci --omit=dev)', () => {
  it('every package the API, the worker, migrate and the CLIs load is installed without dev dependencies', () => {
    const lock = JSON.parse(read('package-lock.json')).packages as Record<string, { dev?: boolean }>;
    const packages = runtimePackages();
    expect(packages.size).toBeGreaterThan(10);
    const missing = [...packages].filter(([name]) => !OPTIONAL_AT_RUNTIME.has(name) && (!lock[`node_modules/${name}`] || lock[`node_modules/${name}`].dev)).map(([name, from]) => `${name} (from ${from})`);
    expect(missing).toEqual([]);
  });

  it('demo, test, benchmark and contract-compiler packages are dev dependencies', () => {
    const pkg = JSON.parse(read('package.json'));
    const devOnly = ['@x402/core', '@x402/evm', '@x402/express', '@x402/fetch', 'x402-express', 'x402-fetch', '@foundry-rs/anvil', 'playwright-core', 'fast-check', 'solc', 'autocannon', 'pino-pretty'];
    expect(devOnly.filter((p) => pkg.dependencies[p] !== undefined)).toEqual([]);
    expect(devOnly.filter((p) => pkg.devDependencies[p] === undefined)).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n').filter((l) => !l.trim().startsWith('#'));
  const stages = lines.join('\n').split(/^FROM /m).slice(1);
  const final = stages[stages.length - 1];

  it('is multi-stage and its final stage carries production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // Either the final stage prunes/installs itself, or it copies node_modules from a stage that did.
    const pruned = (s: string) => /npm (ci|prune|install)\b[^\n]*--omit=dev/.test(s);
    const copied = final.match(/COPY --from=(\S+) \S*node_modules/);
    if (copied) {
      const source = stages.find((s) => new RegExp(`^\\S+ AS ${copied[1]}\\b`, 'i').test(s));
      expect(source && pruned(source)).toBe(true);
    } else {
      expect(pruned(final)).toBe(true);
    }
  });

  it('runs node under tini (signals, zombies), not npm, with a HEALTHCHECK', () => {
    expect(final).toMatch(/^ENTRYPOINT \["[^"]*tini", "--"\]/m);
    expect(final).toMatch(/^CMD \["node", "dist\/apps\/api\/apps\/api\/src\/main\.js"\]/m);
    expect(final).toMatch(/^HEALTHCHECK /m);
    expect(final).toMatch(/^USER node$/m);
  });

  it('.dockerignore keeps secrets, local state and build output out of the context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/\/$/, ''));
    expect(['.env', '.devchain', 'dist', 'node_modules', 'payment.json', '.git'].filter((p) => !ignored.includes(p))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  type Service = { command?: string[]; entrypoint?: string[]; environment?: Record<string, string>; healthcheck?: { test: string[]; disable?: boolean }; restart?: string; depends_on?: Record<string, { condition: string }> };
  const compose = load(read('docker-compose.yml')) as { services: Record<string, Service> };
  const s = compose.services;

  it.each(['api', 'worker', 'devchain'])('%s has a healthcheck and a restart policy, and runs node directly', (name) => {
    expect(s[name].healthcheck?.test?.length).toBeGreaterThan(0);
    expect(s[name].restart).toMatch(/^(unless-stopped|always|on-failure)/);
    expect(s[name].command?.join(' ')).not.toMatch(/\bnpm\b|ts-node/);
  });

  it('the worker serves /health and /metrics to other containers (0.0.0.0) and is checked on them', () => {
    expect(s.worker.environment?.WORKER_METRICS_HOST).toBe('0.0.0.0');
    expect(s.worker.healthcheck!.test.join(' ')).toContain(`:${s.worker.environment?.WORKER_METRICS_PORT ?? '4021'}/health`);
  });

  it('the devchain is healthy only once this run wrote its deployment file and the RPC answers', () => {
    // The volume outlives the container: a file from the previous run must not pass the check.
    expect(s.devchain.command?.join(' ')).toMatch(/rm -f \/devchain\/deployment\.json/);
    const check = s.devchain.healthcheck!.test.join(' ');
    expect(check).toContain('/devchain/deployment.json');
    expect(check).toContain('eth_chainId');
  });

  it('api and worker start after migrate succeeded; migrate waits for a healthy devchain', () => {
    for (const name of ['api', 'worker']) expect(s[name].depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(s.migrate.depends_on?.devchain?.condition).toBe('service_healthy');
  });
});
