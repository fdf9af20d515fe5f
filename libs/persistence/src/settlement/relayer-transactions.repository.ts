import { DataSource, EntityManager } from 'typeorm';
import { IN_FLIGHT_BATCH_STATUSES } from './settlement-batch-status';
import { RelayerTransactionStatus } from './relayer-transaction-status';

/** Why a relayer transaction was signed. */
export type RelayerTxPurpose = 'settle' | 'cancel' | 'filler';

/** `0x`-prefixed hex, as viem types it (hashes, raw transactions). */
type HexText = `0x${string}`;

/** A signed transaction to store before it is broadcast (amounts in wei, hash any case: stored lower-case). */
export interface NewRelayerTx {
  batchId: string | null;
  network: string;
  /** Lower-case relayer address. */
  relayer: string;
  nonce: number;
  purpose: RelayerTxPurpose;
  txHash: string;
  rawTx: string;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** One stored version of a batch's nonce (numbers as decimal text). */
export interface BatchTxRow {
  tx_hash: HexText;
  raw_tx: HexText;
  purpose: RelayerTxPurpose;
  nonce: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  created_at: Date;
}

/** A pending transaction not owned by a batch in flight (a gap filler or a re-broadcast). */
export interface OwnPendingTxRow {
  tx_hash: HexText;
  raw_tx: HexText;
  purpose: RelayerTxPurpose;
  nonce: string;
  batch_id: string | null;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  /** When it was last put on the wire (else stored). */
  sent_at: Date;
}

/** One stored version at a relayer nonce. */
export interface NonceVersionRow {
  tx_hash: HexText;
  raw_tx: HexText;
  purpose: RelayerTxPurpose;
  batch_id: string | null;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  status: RelayerTransactionStatus;
}

/**
 * `relayer_transactions` reads and inserts: one row per signed version of a relayer nonce. Status changes
 * go through {@link RelayerTransactionStore}. Hashes are stored and compared lower-case; relayer
 * addresses are lower-case.
 */
export class RelayerTransactionsRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores a signed transaction as `pending` (before it is broadcast: a crash after this loses nothing). */
  async insert(m: EntityManager, tx: NewRelayerTx): Promise<void> {
    await m.query(
      `INSERT INTO relayer_transactions (batch_id, network, relayer, nonce, purpose, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        tx.batchId,
        tx.network,
        tx.relayer,
        tx.nonce,
        tx.purpose,
        tx.txHash.toLowerCase(),
        tx.rawTx,
        tx.gasLimit.toString(),
        tx.maxFeePerGas.toString(),
        tx.maxPriorityFeePerGas.toString(),
      ],
    );
  }

  /** Records the first time a version went on the wire (later broadcasts keep it). */
  async markBroadcast(txHash: string): Promise<void> {
    await this.db.query(`UPDATE relayer_transactions SET broadcast_at = coalesce(broadcast_at, now()) WHERE tx_hash = $1`, [txHash.toLowerCase()]);
  }

  /** Whether Tollgate stored a transaction with this (lower-case) hash. */
  async exists(txHash: string, m?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (m ?? this.db).query(`SELECT 1 FROM relayer_transactions WHERE tx_hash = $1`, [txHash]);
    return rows.length > 0;
  }

  /** The batch that signed the (lower-case) hash: null for a filler, undefined when not ours. */
  async batchOf(m: EntityManager, txHash: string): Promise<string | null | undefined> {
    const [owner]: Array<{ batch_id: string | null }> = await m.query(`SELECT batch_id FROM relayer_transactions WHERE tx_hash = $1`, [txHash]);
    return owner ? owner.batch_id : undefined;
  }

  /** Every version stored for a batch, oldest first. */
  versionsOfBatch(batchId: string): Promise<BatchTxRow[]> {
    return this.db.query(
      `SELECT tx_hash, raw_tx, purpose, nonce::text, gas_limit::text, max_fee_per_gas::text, max_priority_fee_per_gas::text, created_at
         FROM relayer_transactions WHERE batch_id = $1 ORDER BY created_at`,
      [batchId],
    );
  }

  /** The raw transaction of the batch's first settle version (its call, when the node forgot the latest). */
  async firstSettleRaw(batchId: string): Promise<HexText | undefined> {
    const original: Array<{ raw_tx: HexText }> = await this.db.query(
      `SELECT raw_tx FROM relayer_transactions WHERE batch_id = $1 AND purpose = 'settle' ORDER BY created_at LIMIT 1`,
      [batchId],
    );
    return original[0]?.raw_tx;
  }

  /** The newest pending version of a batch, or undefined. */
  async latestPendingOfBatch(batchId: string): Promise<{ raw_tx: HexText; tx_hash: HexText } | undefined> {
    const [tx]: Array<{ raw_tx: HexText; tx_hash: HexText }> = await this.db.query(
      `SELECT raw_tx, tx_hash FROM relayer_transactions WHERE batch_id = $1 AND status = 'pending' ORDER BY created_at DESC LIMIT 1`,
      [batchId],
    );
    return tx;
  }

  /** Pending transactions of the relayer at `fromNonce` or above (any purpose). */
  async countPendingFrom(m: EntityManager, network: string, relayer: string, fromNonce: number): Promise<number> {
    const [{ live }]: Array<{ live: number }> = await m.query(
      `SELECT count(*)::int AS live FROM relayer_transactions WHERE network = $1 AND relayer = $2 AND status = 'pending' AND nonce >= $3`,
      [network, relayer, fromNonce],
    );
    return live;
  }

  /**
   * Hashes of every transaction sent for any batch the payment was ever in (its current batch and earlier
   * ones: `tollgate_payment_batches`).
   */
  async hashesForPayment(paymentId: string): Promise<string[]> {
    const hashes: Array<{ tx_hash: string }> = await this.db.query(
      `SELECT DISTINCT rt.tx_hash FROM relayer_transactions rt
        WHERE rt.batch_id IN (SELECT tollgate_payment_batches($1::uuid))`,
      [paymentId],
    );
    return hashes.map((h) => h.tx_hash);
  }

  /** Lowest pending nonce of a batch still in flight, per `network|relayer`, with when its first version was stored. */
  async lowestLiveBatchNonces(): Promise<Map<string, { nonce: number; storedAt: Date }>> {
    const rows: Array<{ network: string; relayer: string; nonce: string; stored_at: Date }> = await this.db.query(
      `SELECT DISTINCT ON (t.network, t.relayer) t.network, t.relayer, t.nonce::text, t.created_at AS stored_at
       FROM relayer_transactions t JOIN settlement_batches b ON b.id = t.batch_id
      WHERE t.status = 'pending' AND b.status = ANY($1::text[])
      ORDER BY t.network, t.relayer, t.nonce, t.created_at`,
      [IN_FLIGHT_BATCH_STATUSES],
    );
    return new Map(rows.map((r) => [`${r.network}|${r.relayer}`, { nonce: Number(r.nonce), storedAt: r.stored_at }]));
  }

  /** Lowest pending nonce of one relayer's batches still in flight, or null. */
  async lowestLiveBatchNonce(network: string, relayer: string): Promise<number | null> {
    const [row]: Array<{ nonce: string | null }> = await this.db.query(
      `SELECT min(t.nonce)::text AS nonce FROM relayer_transactions t JOIN settlement_batches b ON b.id = t.batch_id
        WHERE t.network = $1 AND t.relayer = $2 AND t.status = 'pending' AND b.status = ANY($3::text[])`,
      [network, relayer, IN_FLIGHT_BATCH_STATUSES],
    );
    return row.nonce === null ? null : Number(row.nonce);
  }

  /** The relayer's pending transactions owned by no batch in flight (fillers, re-broadcasts), by nonce then age. */
  ownPending(network: string, relayer: string): Promise<OwnPendingTxRow[]> {
    return this.db.query(
      `SELECT t.tx_hash, t.raw_tx, t.purpose, t.nonce::text, t.batch_id, t.max_fee_per_gas::text, t.max_priority_fee_per_gas::text,
              coalesce(t.broadcast_at, t.created_at) AS sent_at
         FROM relayer_transactions t LEFT JOIN settlement_batches b ON b.id = t.batch_id
        WHERE t.network = $1 AND t.relayer = $2 AND t.status = 'pending' AND (b.id IS NULL OR NOT (b.status = ANY($3::text[])))
        ORDER BY t.nonce, t.created_at`,
      [network, relayer, IN_FLIGHT_BATCH_STATUSES],
    );
  }

  /** Every version stored at one nonce of the relayer, newest first. */
  versionsAtNonce(network: string, relayer: string, nonce: number): Promise<NonceVersionRow[]> {
    return this.db.query(
      `SELECT tx_hash, raw_tx, purpose, batch_id, max_fee_per_gas::text, max_priority_fee_per_gas::text, status FROM relayer_transactions
          WHERE network = $1 AND relayer = $2 AND nonce = $3 ORDER BY created_at DESC`,
      [network, relayer, nonce],
    );
  }

  /** Whether a version at the relayer's nonce is pending. */
  async hasPendingAtNonce(m: EntityManager, network: string, relayer: string, nonce: number): Promise<boolean> {
    const taken: unknown[] = await m.query(`SELECT 1 FROM relayer_transactions WHERE network = $1 AND relayer = $2 AND nonce = $3 AND status = 'pending'`, [network, relayer, nonce]);
    return taken.length > 0;
  }

  /** Hashes of the pending versions at the relayer's nonce. */
  async pendingHashesAtNonce(m: EntityManager, network: string, relayer: string, nonce: number): Promise<string[]> {
    const pending: Array<{ tx_hash: string }> = await m.query(
      `SELECT tx_hash FROM relayer_transactions WHERE network = $1 AND relayer = $2 AND nonce = $3 AND status = 'pending'`,
      [network, relayer, nonce],
    );
    return pending.map((p) => p.tx_hash);
  }
}
