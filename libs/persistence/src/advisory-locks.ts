import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';

/**
 * Session advisory locks are held on connections of their own pool, never on the DataSource's pool.
 *
 * Why: a lock holder keeps its connection for the whole critical section while the section itself queries
 * through the DataSource. With both on one pool, as many concurrent sections as pool slots (batch tracks,
 * submits, nonce-gap passes; longer while an RPC hangs) each hold a slot and wait for another that never
 * frees: every query then fails with "timeout exceeded when trying to connect", for good (seen in the
 * 10,000-payment fault run, the worker's 8 connections all idle after `pg_try_advisory_lock`). With a
 * separate pool a section waits for a lock connection holding nothing, so the wait always ends.
 */
const lockPools = new WeakMap<DataSource, Pool>();

function lockPool(dataSource: DataSource): Pool {
  let pool = lockPools.get(dataSource);
  if (!pool) {
    const o = dataSource.options as PostgresConnectionOptions;
    const extra = (o.extra ?? {}) as { max?: number; application_name?: string; connectionTimeoutMillis?: number };
    pool = new Pool({
      connectionString: o.url,
      max: extra.max ?? 10,
      application_name: `${extra.application_name ?? 'tollgate'}-locks`,
      connectionTimeoutMillis: extra.connectionTimeoutMillis ?? 5000,
      idleTimeoutMillis: 2000,
      // Idle lock connections never keep a stopping process alive.
      allowExitOnIdle: true,
    });
    // A connection dropped by a Postgres restart takes its locks with it; the pool replaces it on next use.
    pool.on('error', () => undefined);
    lockPools.set(dataSource, pool);
  }
  return pool;
}

/**
 * Runs `fn` while this process holds the Postgres session advisory lock `key` (hashed with
 * `hashtextextended(key, 7)`), on a dedicated connection of the lock pool.
 * @returns `fn`'s result, or undefined without running `fn` when another session holds the lock.
 * @throws what `fn` throws, or the pool's connection error.
 */
export async function withSessionLock<T>(dataSource: DataSource, key: string, fn: () => Promise<T>): Promise<T | undefined> {
  const client = await lockPool(dataSource).connect();
  let broken: Error | undefined;
  // A checked-out client has no pool listener: a Postgres restart ("terminating connection due to
  // administrator command") would otherwise be an unhandled 'error' event and end the process. The lock is
  // gone with the session; the section's own queries fail and its job retries.
  const onError = (e: Error): void => {
    broken ??= e;
  };
  client.on('error', onError);
  try {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 7)) AS locked`, [key]);
    if (!rows[0].locked) return undefined;
    try {
      return await fn();
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 7))`, [key]).catch((e: Error) => {
        // Never hand back a connection that may still hold the lock.
        broken = e;
      });
    }
  } catch (e) {
    broken ??= e as Error;
    throw e;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Closes the lock pool of `dataSource` (call beside `dataSource.destroy()`). */
export async function closeLockPool(dataSource: DataSource): Promise<void> {
  const pool = lockPools.get(dataSource);
  lockPools.delete(dataSource);
  await pool?.end();
}
