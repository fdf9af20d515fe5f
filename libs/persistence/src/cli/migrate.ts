import { loadConfigOrExit } from '@tollgate/config';
import { createDataSource, runMigrations } from '../data-source';
import { ensureDatabase } from '../database';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, creating the database if missing. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await ensureDatabase(config.databaseUrl);
  const ds = createDataSource({ databaseUrl: config.databaseUrl, poolSize: 2, applicationName: 'tollgate-migrate' });
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`migrate failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
