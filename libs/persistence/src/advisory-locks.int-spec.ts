import { createTestDatabase } from '@tollgate/testing';
import { createDataSource } from './data-source';
import { closeLockPool, withSessionLock } from './advisory-locks';

/**
 * Critical sections that query through the same DataSource while holding a session lock: more of them at
 * once than the pool has connections must all complete (none may starve the others of connections).
 */
describe('session advisory locks', () => {
  it('runs more concurrent locked sections than the pool has connections, each querying the pool', async () => {
    const db = await createTestDatabase();
    const ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => withSessionLock(ds, `section-${i}`, async () => (await ds.query(`SELECT $1::int AS i, pg_sleep(0.05)`, [i]))[0].i)),
      );
      expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await closeLockPool(ds);
      await ds.destroy();
      await db.drop();
    }
  });

  it('lets one holder in at a time: a second try on a held key returns undefined without running', async () => {
    const db = await createTestDatabase();
    const ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    try {
      let ran = false;
      const outer = await withSessionLock(ds, 'batch:x', async () => withSessionLock(ds, 'batch:x', async () => (ran = true)));
      expect(outer).toBeUndefined();
      expect(ran).toBe(false);
      // Released afterwards: the next holder gets it.
      expect(await withSessionLock(ds, 'batch:x', async () => 'mine')).toBe('mine');
    } finally {
      await closeLockPool(ds);
      await ds.destroy();
      await db.drop();
    }
  });
});

describe('session advisory locks when Postgres ends the session', () => {
  it('a lock connection terminated mid-section is no uncaught error: the section goes on and the next holder gets a fresh connection', async () => {
    const db = await createTestDatabase();
    const ds = await createDataSource({ databaseUrl: db.url, poolSize: 2, applicationName: 'lock-test' }).initialize();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const result = await withSessionLock(ds, 'batch:y', async () => {
        // What `pg_ctl restart -m fast` does to the lock's session, from another connection (this test's
        // database only: other test runs share the server).
        await ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-test-locks' AND datname = current_database() AND pid <> pg_backend_pid()`);
        await new Promise((r) => setTimeout(r, 200));
        return 'done';
      }).catch((e: Error) => `failed: ${e.message}`);
      expect(result).toBe('done');
      expect(uncaught).toEqual([]);
      expect(await withSessionLock(ds, 'batch:y', async () => 'again')).toBe('again');
    } finally {
      process.off('uncaughtException', onUncaught);
      await closeLockPool(ds);
      await ds.destroy();
      await db.drop();
    }
  });
});
