import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { ENTITIES } from './entities';

/**
 * Builds (does not initialize) the Postgres DataSource. `synchronize` is never on: the schema comes
 * from the hand-written migrations in `migrations/` only.
 */
export function createDataSource(opts: { databaseUrl: string; poolSize?: number; applicationName?: string }): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: opts.poolSize ?? 20,
      application_name: opts.applicationName ?? 'tollgate',
      // A verify must never hang on a stuck connection; fail fast and let the caller answer.
      connectionTimeoutMillis: 5000,
    },
  });
}

/** Runs pending migrations; returns the names applied. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const applied = await ds.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
