import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Server URL tests use (no database part). Override with TEST_DATABASE_SERVER. */
export const TEST_DB_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
/**
 * Database migrated once per test run; every test file clones it (CREATE DATABASE … TEMPLATE). Override
 * with TEST_TEMPLATE_DB when several test runs share one server: each run drops and recreates its template.
 */
export const TEMPLATE_DB = process.env.TEST_TEMPLATE_DB ?? 'tollgate_test_template';

export function databaseUrl(name: string): string {
  return `${TEST_DB_SERVER}/${name}`;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
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
      await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`));
      break;
    } catch (e) {
      if (attempt >= 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
  return {
    name,
    url: databaseUrl(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export async function recreateTemplate(): Promise<string> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  });
  return databaseUrl(TEMPLATE_DB);
}
