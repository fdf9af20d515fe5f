import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDataSource, runMigrations } from '../../../persistence/src';
import { ensureTemplate } from '../database';

/**
 * Makes sure a migrated template database exists for this set of migrations (every test file clones it)
 * and tells the jest workers its name through TEST_TEMPLATE_DB.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..', '..', '..');
  const dir = join(root, 'migrations');
  // Migrations install SQL kept in libs/persistence (the *.sql.ts files): an edit there must yield a new
  // template too, or tests would run against the previous text until a migration file changed.
  const sqlSources = (readdirSync(join(root, 'libs', 'persistence', 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.sql.ts'))
    .map((f) => join('libs', 'persistence', 'src', f));
  const source = [...readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join('migrations', f)), ...sqlSources]
    .sort()
    .map((f) => `${f}\n${readFileSync(join(root, f), 'utf8')}`)
    .join('\n');
  process.env.TEST_TEMPLATE_DB = await ensureTemplate(async (url) => {
    const ds = await createDataSource({ databaseUrl: url, poolSize: 1 }).initialize();
    try {
      await runMigrations(ds);
    } finally {
      await ds.destroy();
    }
  }, source);
}
