import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * The monorepo's boundaries, checked on the source itself (TypeScript's parser, so comments and prose do
 * not count). See README "Architecture": apps depend on libraries, libraries never on apps; a library is
 * reached through its `@tollgate/*` entry; configuration is read in libs/config; SQL belongs to
 * libs/persistence; files stay small enough to read.
 *
 * Allowlists below hold what is true TODAY. They may only shrink: each test also fails when an allowlisted
 * file no longer breaks the rule, so the list stays true and a fix is recorded by deleting its line.
 */
const ROOT = resolve(__dirname, '..');
const SOURCE_DIRS = ['apps', 'libs', 'bench', 'chaos', 'scripts', 'test', 'migrations', 'docs'];
/** Generated, not hand-written: compiled contract artifacts. */
const GENERATED = ['libs/devchain/src/artifacts/'];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const files = SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d)))
  .map((f) => relative(ROOT, f).split(sep).join('/'))
  .filter((f) => !GENERATED.some((g) => f.startsWith(g)))
  .sort();

interface Facts {
  imports: string[];
  readsEnv: boolean;
  sql: boolean;
  lines: number;
}

/** Template strings that read as SQL statements (upper-case keywords, as the code base writes them). */
const SQL = /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+[\w."]+\s+(?:\w+\s+)?SET\b|\bDELETE\s+FROM\b/;

const facts = new Map<string, Facts>();
function factsOf(file: string): Facts {
  const known = facts.get(file);
  if (known) return known;
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const f: Facts = { imports: [], readsEnv: false, sql: false, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      f.imports.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) f.imports.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      f.imports.push(node.argument.literal.text);
    } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && ts.isIdentifier(node.expression) && node.expression.text === 'process') {
      f.readsEnv = true;
    } else if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      const raw = ts.isTemplateExpression(node) ? [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ') : node.text;
      if (SQL.test(raw)) f.sql = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  facts.set(file, f);
  return f;
}

/** `apps/<name>` or `libs/<name>` a repository path belongs to, if any. */
function packageOf(path: string): string | undefined {
  const m = /^(apps|libs)\/([^/]+)(?:\/|$)/.exec(path);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The repository path a relative specifier points at (undefined for packages and `@tollgate/*`). */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join('/');
}

const isTest = (f: string): boolean => /\.(spec|int-spec|e2e-spec)\.ts$/.test(f) || /(^|\/)test\//.test(f) || f.startsWith('libs/testing/');

/** Expects `offenders` to equal `allowed` exactly: no new offender, no stale allowlist line. */
function expectExactly(offenders: string[], allowed: readonly string[]): void {
  expect({ new: offenders.filter((o) => !allowed.includes(o)), noLongerTrue: allowed.filter((a) => !offenders.includes(a)) }).toEqual({ new: [], noLongerTrue: [] });
}

describe('architecture', () => {
  it('finds the source it checks', () => {
    expect(files).toContain('libs/config/src/config.schema.ts');
    expect(files.length).toBeGreaterThan(100);
  });

  it('libraries never import apps', () => {
    const offenders = files
      .filter((f) => f.startsWith('libs/'))
      .flatMap((f) => factsOf(f).imports.filter((s) => target(f, s)?.startsWith('apps/') || s.startsWith('apps/')).map((s) => `${f} -> ${s}`));
    expect(offenders).toEqual([]);
  });

  /**
   * A library is reached through `@tollgate/<lib>` only, never by a relative path into it from outside.
   * Allowed: jest's globalSetup runs before jest's module mapping, so it cannot resolve `@tollgate/*`.
   */
  const RELATIVE_LIB_IMPORTS_ALLOWED = [
    'libs/testing/src/jest/global-setup.ts -> ../../../persistence/src',
    // The load generator's signing path takes only the body builder, not the whole test barrel (typeorm, Nest types).
    'bench/sign.ts -> ../libs/testing/src/payments',
    // A migration installs the accept rule from its one source file; `@tollgate/persistence` would import the
    // migration list back (its data source registers the migrations): a cycle.
    'migrations/1763830500000-accept-payment-source.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    // Same reason: the exposure triggers and the accept rule that reads them, installed together.
    'migrations/1763920000000-payment-exposure.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    'migrations/1763920000000-payment-exposure.ts -> ../libs/persistence/src/payments/payment-exposure.sql',
    // Same reason: the exposure trigger's set-based body, and the many-call accept rule.
    'migrations/1763960000000-exposure-set-based.ts -> ../libs/persistence/src/payments/payment-exposure.sql',
    'migrations/1763961000000-accept-payments-batch.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    'migrations/1763970000000-hot-path-index-plans.ts -> ../libs/persistence/src/payments/hot-path-plans.sql',
    // Same reason: the accept rule re-installed with the reference functions it calls.
    'migrations/1764010000000-references-encode-ids.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    'migrations/1764010000000-references-encode-ids.ts -> ../libs/persistence/src/payments/hot-path-plans.sql',
    'migrations/1764010000000-references-encode-ids.ts -> ../libs/persistence/src/payments/payment-reference',
    // Same reason: the history function, rollup triggers and accept rule of compact payment events.
    'migrations/1764020000000-compact-payment-events.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    'migrations/1764020000000-compact-payment-events.ts -> ../libs/persistence/src/payments/payment-events.sql',
    'migrations/1764020000000-compact-payment-events.ts -> ../libs/persistence/src/payments/hot-path-plans.sql',
    // Same reason: the exposure rule's trigger, guards and rebuild.
    'migrations/1764030000000-exposure-until-expiry.ts -> ../libs/persistence/src/payments/accept-payment.sql',
    'migrations/1764030000000-exposure-until-expiry.ts -> ../libs/persistence/src/payments/hot-path-plans.sql',
    'migrations/1764030000000-exposure-until-expiry.ts -> ../libs/persistence/src/payments/payment-exposure.sql',
    // Same reason: the history function and rollup trigger of the queue step.
    'migrations/1764040000000-queue-step-on-payment-row.ts -> ../libs/persistence/src/payments/payment-events.sql',
  ];
  it('other code imports a library through @tollgate/*, not a relative path', () => {
    const offenders = files.flatMap((f) =>
      factsOf(f)
        .imports.filter((s) => {
          const t = target(f, s);
          const lib = t && packageOf(t);
          return lib?.startsWith('libs/') && lib !== packageOf(f);
        })
        .map((s) => `${f} -> ${s}`),
    );
    expectExactly(offenders, RELATIVE_LIB_IMPORTS_ALLOWED);
  });

  /**
   * An app reaches another app only through that app's public entry (`apps/<name>/src/index.ts`: what an
   * in-process runner such as the demo may use), never into its internals or its tests. What apps share
   * otherwise lives in a library; test harnesses get the apps injected (test/setup/register-apps.ts).
   */
  it('apps import each other only through the public entry', () => {
    const offenders = files
      .filter((f) => f.startsWith('apps/'))
      .flatMap((f) =>
        factsOf(f)
          .imports.filter((s) => {
            const t = target(f, s);
            const app = t && packageOf(t);
            return app?.startsWith('apps/') && app !== packageOf(f) && t !== `${app}/src` && t !== `${app}/src/index`;
          })
          .map((s) => `${f} -> ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  /**
   * `nest build` rewrites `@tollgate/*` paths in emitted files, and crashes ("reading 'checkJsDirective'") on a
   * re-export of a library (`export { X } from '@tollgate/…'`) in an app. Import the name where it is used instead.
   */
  it('apps never re-export a library (the Nest CLI build cannot emit it)', () => {
    const offenders = files
      .filter((f) => f.startsWith('apps/') && !isTest(f))
      .filter((f) => /^export\s+(\*|\{[^}]*\}|type\s*\{[^}]*\})\s+from\s+'@tollgate\//m.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  /** Who may read `process.env` besides libs/config, and why. */
  const ENV_READERS_ALLOWED: Array<[RegExp, string]> = [
    [/^libs\/config\//, 'the one place Tollgate reads its configuration'],
    [/^(bench|chaos|scripts)\//, 'operator tools run by hand, configured from their own environment'],
    [/^docs\/examples\//, "the README's merchant programs, configured from their own environment as a merchant's would be"],
    [/^libs\/testing\//, 'test infrastructure: which database server, Redis and log level the tests use'],
    [/^test\//, 'repository-level tests and test set-up'],
    [/\.(spec|int-spec|e2e-spec)\.ts$|\/test\//, 'tests may set or read the environment of what they start'],
    [/^apps\/demo\/src\/main\.ts$/, 'CLI entry point: passes its environment to the demo stack'],
    [/^apps\/devchain\/src\/(devchain\.config|sample-payment)\.ts$/, "the local-chain tool's own settings (DEVCHAIN_*), not the service configuration"],
  ];
  it('process.env is read only in libs/config (and the allowed tools, tests and entry points)', () => {
    const offenders = files.filter((f) => factsOf(f).readsEnv && !ENV_READERS_ALLOWED.some(([re]) => re.test(f)));
    expect(offenders).toEqual([]);
  });

  /**
   * Production source holding SQL outside libs/persistence. Today's debt: this list may only shrink (move
   * the statement behind a persistence repository, then delete the line). Tests, test helpers, migrations
   * and tools are not checked: they query the database directly on purpose.
   */
  const SQL_OUTSIDE_PERSISTENCE_ALLOWED: string[] = [
  ];
  it('SQL lives in libs/persistence', () => {
    const offenders = files.filter((f) => /^(apps|libs)\/[^/]+\/src\//.test(f) && !f.startsWith('libs/persistence/') && !isTest(f) && factsOf(f).sql);
    expectExactly(offenders, SQL_OUTSIDE_PERSISTENCE_ALLOWED);
  });

  /** Hand-written files over 400 lines today. This list may only shrink: split a file, then delete its line. */
  const LONG_FILES_ALLOWED: string[] = [];
  it('hand-written source files stay within 400 lines', () => {
    const offenders = files.filter((f) => factsOf(f).lines > 400);
    expectExactly(offenders, LONG_FILES_ALLOWED);
  });
});
