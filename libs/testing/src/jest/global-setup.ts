import 'reflect-metadata';
import { createDataSource, runMigrations } from '../../../persistence/src';
import { recreateTemplate } from '../database';

/** Migrates the template database once per test run (every test file clones it). */
export default async function globalSetup(): Promise<void> {
  const url = await recreateTemplate();
  const ds = await createDataSource({ databaseUrl: url, poolSize: 1 }).initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
}
