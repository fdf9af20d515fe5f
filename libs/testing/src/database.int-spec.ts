import { ensureTemplate, withServerConnection } from './database';

/** Two checkouts with different migrations share one Postgres server: neither may drop the other's template. */
describe('test database templates', () => {
  const admin = withServerConnection;
  const exists = (name: string) => admin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
  const sources = [`branch-a ${Date.now()} ${Math.random()}`, `branch-b ${Date.now()} ${Math.random()}`];
  const made: string[] = [];
  afterAll(() => admin(async (c) => {
    for (const n of made) await c.query(`DROP DATABASE IF EXISTS "${n}"`);
  }));

  it('keeps a template another checkout used recently, and drops one idle for over a day', async () => {
    const noMigrations = async () => undefined;
    const a = await ensureTemplate(noMigrations, sources[0]);
    made.push(a);
    const b = await ensureTemplate(noMigrations, sources[1]);
    made.push(b);
    expect(await exists(a)).toBe(true);
    expect(await exists(b)).toBe(true);
    // Branch A's template has not been used for two days: the next run of branch B collects it.
    await admin((c) => c.query(`COMMENT ON DATABASE "${a}" IS 'tollgate test template, last used ${Date.now() - 2 * 24 * 3600_000}'`));
    expect(await ensureTemplate(noMigrations, sources[1])).toBe(b);
    expect(await exists(a)).toBe(false);
    expect(await exists(b)).toBe(true);
  });
});
