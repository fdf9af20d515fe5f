import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Server URL tests use (no database part). Override with TEST_DATABASE_SERVER. */
export const TEST_DB_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
/** The migrated template every test file clones (CREATE DATABASE … TEMPLATE); set by the jest global setup. */
export const TEMPLATE_DB = (): string => process.env.TEST_TEMPLATE_DB ?? 'tollgate_test_template';

export function databaseUrl(name: string): string {
  return `${TEST_DB_SERVER}/${name}`;
}

/** Runs `fn` on a short-lived connection to the test server's `postgres` database (CREATE/DROP DATABASE). */
export async function withServerConnection<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: databaseUrl('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database cloned from the migrated template; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `tollgate_test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  // The template may only be cloned while nobody is connected to it; retry briefly on contention.
  for (let attempt = 0; ; attempt++) {
    try {
      await withServerConnection((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB()}"`));
      break;
    } catch (e) {
      if (attempt >= 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
  return {
    name,
    url: databaseUrl(name),
    // pg's pool.end() resolves once its clients are told to end, before their backends have gone: a FORCE drop
    // at that moment terminates them, and the closing client reports 57P01 as an unhandled 'error' event
    // that fails the test file after its tests passed. So wait (briefly) for the file's own connections to go.
    drop: () =>
      withServerConnection(async (c) => {
        for (let i = 0; i < 100; i++) {
          const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name]);
          if (rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }).then(() => undefined),
  };
}

/** A template unused this long (by any checkout on this server) is garbage: another run would have touched it. */
const TEMPLATE_IDLE_MS = 24 * 3600_000;

/**
 * Ensures a migrated template named after a hash of the migrations' source exists, and returns its name.
 * Content-addressed so that repeated and concurrent test runs reuse it, while any edit to a migration yields
 * a fresh one. Built under another name and renamed when complete, under an advisory lock, so no run clones
 * a half-migrated template. Each run stamps its template's last use (the database comment); only templates
 * idle for a day are dropped, so two checkouts with different migrations (a branch beside main) can run
 * their suites side by side without one dropping the template the other is cloning.
 */
export async function ensureTemplate(migrate: (url: string) => Promise<void>, migrationsSource: string): Promise<string> {
  const name = `tollgate_test_tpl_${createHash('sha256').update(migrationsSource).digest('hex').slice(0, 16)}`;
  await withServerConnection(async (c) => {
    await c.query(`SELECT pg_advisory_lock(hashtextextended('tollgate-test-template', 0))`);
    try {
      const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) {
        const building = `${name}_building`;
        await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await c.query(`CREATE DATABASE "${building}"`);
        await migrate(databaseUrl(building));
        await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      }
      await c.query(`COMMENT ON DATABASE "${name}" IS 'tollgate test template, last used ${Date.now()}'`);
      const others = await c.query(
        `SELECT d.datname, shobj_description(d.oid, 'pg_database') AS note FROM pg_database d
          WHERE d.datname LIKE 'tollgate_test_tpl_%' AND d.datname <> $1 AND d.datname NOT LIKE '%_building'`,
        [name],
      );
      for (const r of others.rows as Array<{ datname: string; note: string | null }>) {
        // No stamp: made by an older version of this code, possibly in use by a run of it; left alone.
        const lastUsed = /last used (\d+)/.exec(r.note ?? '')?.[1];
        if (lastUsed === undefined || Date.now() - Number(lastUsed) < TEMPLATE_IDLE_MS) continue;
        await c.query(`DROP DATABASE IF EXISTS "${r.datname}"`).catch(() => undefined);
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock(hashtextextended('tollgate-test-template', 0))`);
    }
  });
  return name;
}
