import { DataSource, EntityManager } from 'typeorm';
import { createTestDatabase } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { SettlementBatchesRepository } from './batches.repository';
import { RelayersRepository } from './relayers.repository';

/**
 * The relayer row lock serialises nonce allocation and gap fills, and nothing else: a worker claiming a new batch
 * for that relayer (whose insert checks the relayer foreign key) must not wait for a submission holding the nonce
 * (signing, storing the transaction and moving up to a batch of payments). In the settle bench those claims had
 * waited 24 ms each on the submitter's `FOR UPDATE`.
 */
describe('relayers repository (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let relayers: RelayersRepository;
  let batches: SettlementBatchesRepository;
  const network = 'eip155:31337';
  const relayer = `0x${'c'.repeat(40)}`;
  const lane = { network, asset: `0x${'a'.repeat(40)}` };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 4 }).initialize();
    relayers = new RelayersRepository(ds);
    batches = new SettlementBatchesRepository(ds);
    await relayers.publish(network, relayer, 5);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** Runs `fn` in a transaction that gives up on any lock wait longer than 300 ms (SQLSTATE 55P03). */
  function impatient<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return ds.transaction(async (m) => {
      await m.query(`SET LOCAL lock_timeout = '300ms'`);
      return fn(m);
    });
  }

  it('while one transaction holds the nonce, a batch for the relayer is created at once and the nonce stays exclusive', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = ds.transaction(async (m) => {
      expect(await relayers.lockNextNonce(m, network, relayer)).toBe(5);
      locked();
      await held;
      await relayers.setNextNonce(m, network, relayer, 6);
    });
    await isLocked;
    try {
      const id = await impatient((m) => batches.create(m, lane, relayer, 3));
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await expect(impatient((m) => relayers.lockNextNonce(m, network, relayer))).rejects.toMatchObject({ driverError: { code: '55P03' } });
      await expect(impatient((m) => relayers.lock(m, network, relayer))).rejects.toMatchObject({ driverError: { code: '55P03' } });
    } finally {
      release();
      await holder;
    }
    expect(await ds.transaction((m) => relayers.lockNextNonce(m, network, relayer))).toBe(6);
  });
});
