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
  const dir = join(__dirname, '..', '..', '..', '..', 'migrations');
  const source = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => `${f}\n${readFileSync(join(dir, f), 'utf8')}`)
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
