import { DataSource, EntityManager } from 'typeorm';

/** A published relayer as the nonce-gap report reads it (address only: keys stay in the worker). */
export interface RelayerRow {
  network: string;
  /** Lower-case address. */
  address: string;
  nonce_gap_since: Date | null;
}

/**
 * The `relayers` table: published addresses, the next nonce to hand out (the row lock that serialises
 * nonce allocation per relayer) and the nonce-gap bookkeeping. Addresses are lower-case throughout.
 */
export class RelayersRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Publishes a relayer with the chain's pending nonce (idempotent); an existing row keeps the higher nonce.
   */
  async publish(network: string, address: string, pendingNonce: number): Promise<void> {
    await this.db.query(
      `INSERT INTO relayers (network, address, next_nonce) VALUES ($1, $2, $3)
       ON CONFLICT (network, address) DO UPDATE SET next_nonce = GREATEST(relayers.next_nonce, EXCLUDED.next_nonce), updated_at = now()`,
      [network, address, pendingNonce],
    );
  }

  /** Every published relayer, ordered by network then address. */
  list(): Promise<RelayerRow[]> {
    return this.db.query(`SELECT network, address, nonce_gap_since FROM relayers ORDER BY network, address`);
  }

  /**
   * Locks the relayer row until `m` ends and returns its stored next nonce: whoever holds it is the only one
   * handing out that relayer's nonces. `FOR NO KEY UPDATE`, not `FOR UPDATE`: it excludes every other nonce
   * allocation and gap fill ({@link lock}) but not the foreign-key checks of rows naming the relayer, so a
   * worker creating a batch for it does not wait while a submission signs and records its transaction.
   * @throws TypeError when the relayer was never published (registerRelayers runs at worker start).
   */
  async lockNextNonce(m: EntityManager, network: string, address: string): Promise<number> {
    const [{ next_nonce }]: Array<{ next_nonce: string }> = await m.query(
      `SELECT next_nonce::text FROM relayers WHERE network = $1 AND address = $2 FOR NO KEY UPDATE`,
      [network, address],
    );
    return Number(next_nonce);
  }

  /** Stores the next nonce to hand out; the caller holds the row lock ({@link lockNextNonce}). */
  async setNextNonce(m: EntityManager, network: string, address: string, nextNonce: number): Promise<void> {
    await m.query(`UPDATE relayers SET next_nonce = $3, updated_at = now() WHERE network = $1 AND address = $2`, [network, address, nextNonce]);
  }

  /**
   * Locks the relayer row until `m` ends, so gap fills and nonce allocation never interleave (the lock of
   * {@link lockNextNonce}: foreign-key checks of new batches still pass).
   */
  async lock(m: EntityManager, network: string, address: string): Promise<void> {
    await m.query(`SELECT 1 FROM relayers WHERE network = $1 AND address = $2 FOR NO KEY UPDATE`, [network, address]);
  }

  /**
   * Records the nonce check: the chain's mined nonce and the gap to the lowest live batch nonce;
   * `nonce_gap_since` keeps when a gap began and is cleared when there is none.
   */
  async recordNonceCheck(network: string, address: string, chainNonce: number, gap: number): Promise<void> {
    await this.db.query(
      `UPDATE relayers SET chain_nonce = $3, nonce_gap = $4, nonce_checked_at = now(),
              nonce_gap_since = CASE WHEN $4::int > 0 THEN coalesce(nonce_gap_since, now()) ELSE NULL END
        WHERE network = $1 AND address = $2`,
      [network, address, chainNonce, gap],
    );
  }
}
