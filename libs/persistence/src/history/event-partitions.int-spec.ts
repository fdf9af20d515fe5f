import { DataSource } from 'typeorm';
import { createTestDatabase } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { partitionName, HistoryPartitions, utcDay } from './history-partitions';

const DAY = 86_400_000;

/** `payment_events` partitions (migration 1763930000000) and their upkeep, against a real Postgres. */
describe('HistoryPartitions', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let partitions: HistoryPartitions;
  const merchantId = '00000000-0000-4000-8000-0000000000aa';
  let paymentId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 4 }).initialize();
    partitions = new HistoryPartitions(ds);
    await ds.query(`INSERT INTO merchants (id, name) VALUES ($1, 'history test')`, [merchantId]);
    [{ id: paymentId }] = await ds.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                             expires_at, nonce, signature, status, requirements)
       VALUES ('pay_history', $1, 2, 'exact', 'eip155:1', '0x' || repeat('a', 40), '0x' || repeat('b', 40), '0x' || repeat('c', 40), 5, 0,
               9999999999, now() + interval '1 hour', '0x' || repeat('d', 64), '0x', 'verified', '{}') RETURNING id`,
      [merchantId],
    );
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const partitionOf = async (eventId: string): Promise<string> =>
    (await ds.query(`SELECT tableoid::regclass::text AS p FROM payment_events WHERE id = $1`, [eventId]))[0].p;

  it('keeps whole UTC days of partitions ahead, contiguous, and does nothing more when they exist', async () => {
    await partitions.ensureAhead(7);
    expect(await partitions.ensureAhead(7)).toEqual([]);
    const list = await partitions.list();
    expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(['payment_events_legacy', 'payment_events_default']));
    const ranged = list.filter((p) => !p.isDefault);
    for (let i = 1; i < ranged.length; i++) expect(ranged[i].from).toEqual(ranged[i - 1].to);
    const last = ranged[ranged.length - 1];
    expect(last.to).toEqual(new Date(utcDay(new Date()).getTime() + 8 * DAY));
    expect(last.name).toBe(partitionName(new Date(utcDay(new Date()).getTime() + 7 * DAY)));
  });

  it('an event no partition covers lands in the default partition and moves into its day when that day is created', async () => {
    const far = new Date(utcDay(new Date()).getTime() + 12 * DAY + 3_600_000);
    const [{ id }] = await ds.query(`INSERT INTO payment_events (payment_id, from_status, to_status, created_at) VALUES ($1, NULL, 'verified', $2) RETURNING id`, [
      paymentId,
      far,
    ]);
    expect(await partitionOf(id)).toBe('payment_events_default');
    const created = await partitions.ensureAhead(13);
    expect(created).toEqual([8, 9, 10, 11, 12, 13].map((d) => partitionName(new Date(utcDay(new Date()).getTime() + d * DAY))));
    expect(await partitionOf(id)).toBe(partitionName(utcDay(far)));
    expect(await partitions.count('payment_events_default')).toBe(0);
  });

  it('two processes extending at once create each day once', async () => {
    const results = await Promise.all([partitions.ensureAhead(20), new HistoryPartitions(ds).ensureAhead(20)]);
    const all = results.flat();
    expect(new Set(all).size).toBe(all.length);
    expect((await partitions.list()).filter((p) => !p.isDefault).pop()!.to).toEqual(new Date(utcDay(new Date()).getTime() + 21 * DAY));
    // A pass that lost the lock left work undone; the next one finishes it.
    await partitions.ensureAhead(20);
    const names = (await partitions.list()).map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('inserts go on while partitions are created, and the console rollup counts events in every partition', async () => {
    const before = Number((await ds.query(`SELECT coalesce(sum(n), 0) AS n FROM payment_activity WHERE to_status = 'queued'`))[0].n);
    const writes = Promise.all(
      Array.from({ length: 20 }, () => ds.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, 'verified', 'queued')`, [paymentId])),
    );
    await partitions.ensureAhead(25);
    await writes;
    const after = Number((await ds.query(`SELECT coalesce(sum(n), 0) AS n FROM payment_activity WHERE to_status = 'queued'`))[0].n);
    expect(after - before).toBe(20);
  });

  it('a DETACH that cannot get its lock gives up quickly and tries again until the reader is gone', async () => {
    // A day far ahead, detached while a long reader holds the parent: each try waits 200 ms at most, so the
    // writers queued behind it are released in between; it succeeds once the reader commits.
    const name = (await partitions.list()).filter((p) => !p.isDefault).pop()!.name;
    const pool = (ds.driver as any).master;
    const reader = await pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM payment_events');
      // Enough attempts that no machine is too slow for the writes below to happen while it retries.
      const detached = partitions.detach(name, 1_000);
      // Writers keep going while the DETACH retries (were they queued behind it for good, this would hang:
      // the reader commits only after them).
      for (let i = 0; i < 5; i++) await ds.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, 'queued', 'batched')`, [paymentId]);
      await reader.query('COMMIT');
      await detached;
    } finally {
      reader.release();
    }
    expect((await partitions.list()).map((p) => p.name)).not.toContain(name);
    await partitions.drop(name);
  });
});

