import { DataSource, EntityManager } from 'typeorm';
import { IN_FLIGHT_BATCH_STATUSES, SettlementBatchStatus } from './settlement-batch-status';

/** A batch as the submitter reads it (`nonce` as decimal text, null before it was signed). */
export interface SubmitBatchRow {
  id: string;
  network: string;
  asset: string;
  /** Lower-case relayer address. */
  relayer: string;
  status: SettlementBatchStatus;
  nonce: string | null;
}

/** A batch as the tracker reads it (numbers as decimal text). */
export interface TrackedBatchRow extends SubmitBatchRow {
  tx_hash: string | null;
  block_number: string | null;
  block_hash: string | null;
  replacements: number;
  /** Set by an operator (admin console) to replace the transaction now. */
  replace_requested_at: Date | null;
}

/** What an operator's "replace now" reads of a batch, under its row lock. */
export interface ReplaceableBatchRow {
  id: string;
  status: SettlementBatchStatus;
  replacements: number;
  tx_hash: string | null;
  replace_requested_at: Date | null;
}

/**
 * Every `settlement_batches` read and write of the settlement pipeline except status changes, which go
 * through {@link SettlementBatchStore} (the state machine's one writer). Methods given an EntityManager
 * run in that transaction, else on their own.
 */
export class SettlementBatchesRepository {
  constructor(private readonly db: DataSource) {}

  /** The batch as the submitter needs it, or undefined. */
  async forSubmit(batchId: string): Promise<SubmitBatchRow | undefined> {
    const [batch]: SubmitBatchRow[] = await this.db.query(
      `SELECT id, network, asset, relayer, status, nonce::text FROM settlement_batches WHERE id = $1`,
      [batchId],
    );
    return batch;
  }

  /** The batch as the tracker needs it, or undefined. */
  async forTracking(batchId: string): Promise<TrackedBatchRow | undefined> {
    const [batch]: TrackedBatchRow[] = await this.db.query(
      `SELECT id, network, asset, relayer, status, nonce::text, tx_hash, block_number::text, block_hash, replacements, replace_requested_at
           FROM settlement_batches WHERE id = $1`,
      [batchId],
    );
    return batch;
  }

  /** Asset (token address) of a batch, or undefined when there is no such batch. */
  async assetOf(batchId: string): Promise<string | undefined> {
    const [batch]: Array<{ asset: string }> = await this.db.query(`SELECT asset FROM settlement_batches WHERE id = $1`, [batchId]);
    return batch?.asset;
  }

  /** Marks the batch as looked at now (the sweeper re-enqueues batches left untouched). */
  async touch(batchId: string): Promise<void> {
    await this.db.query(`UPDATE settlement_batches SET updated_at = now() WHERE id = $1`, [batchId]);
  }

  /**
   * Opens a batch of the lane in `building` for `relayer` (lower-case) holding `paymentCount` rows.
   * @returns the new batch id.
   */
  async create(m: EntityManager, lane: { network: string; asset: string }, relayer: string, paymentCount: number): Promise<string> {
    const [batch]: Array<{ id: string }> = await m.query(
      `INSERT INTO settlement_batches (network, asset, relayer, status, payment_count) VALUES ($1, $2, $3, 'building', $4) RETURNING id`,
      [lane.network, lane.asset, relayer, paymentCount],
    );
    return batch.id;
  }

  /** Batches of the network holding an unsettled relayer nonce, counted per relayer (lower-case address). */
  async inFlightPerRelayer(network: string): Promise<Map<string, number>> {
    const rows: Array<{ relayer: string; n: number }> = await this.db.query(
      `SELECT relayer, count(*)::int AS n FROM settlement_batches
        WHERE network = $1 AND status = ANY($2::text[]) GROUP BY relayer`,
      [network, IN_FLIGHT_BATCH_STATUSES],
    );
    return new Map(rows.map((r) => [r.relayer, r.n]));
  }

  /** Shrinks a batch still `building` to `count` rows (the others went back to the queue). */
  async setBuildingPaymentCount(m: EntityManager, batchId: string, count: number): Promise<void> {
    await m.query(`UPDATE settlement_batches SET payment_count = $2, updated_at = now() WHERE id = $1 AND status = 'building'`, [batchId, count]);
  }

  /** Counts one more replacement and makes `txHash` (lower-case) the batch's current transaction. */
  async recordReplacement(m: EntityManager, batchId: string, txHash: string): Promise<void> {
    await m.query(`UPDATE settlement_batches SET replacements = replacements + 1, tx_hash = $2, updated_at = now() WHERE id = $1`, [batchId, txHash]);
  }

  /** Clears an operator's "replace now" once the replacement is stored. */
  async clearReplaceRequest(batchId: string): Promise<void> {
    await this.db.query(`UPDATE settlement_batches SET replace_requested_at = NULL WHERE id = $1`, [batchId]);
  }

  /** Locks the batch row for an operator's "replace now"; undefined when there is no such batch. */
  async lockForReplaceRequest(m: EntityManager, batchId: string): Promise<ReplaceableBatchRow | undefined> {
    const [b]: ReplaceableBatchRow[] = await m.query(
      `SELECT id, status, replacements, tx_hash, replace_requested_at FROM settlement_batches WHERE id = $1 FOR UPDATE`,
      [batchId],
    );
    return b;
  }

  /** Records an operator's "replace now" (the tracker replaces on its next pass, then clears it). */
  async requestReplacement(m: EntityManager, batchId: string): Promise<void> {
    await m.query(`UPDATE settlement_batches SET replace_requested_at = now() WHERE id = $1`, [batchId]);
  }

  /**
   * The batch's transaction was re-included in another block (a reorg moved it): the batch and its
   * `included` payments follow the new block. One transaction, so both always agree.
   */
  async moveInclusionBlock(batchId: string, blockNumber: string, blockHash: string): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`UPDATE settlement_batches SET block_number = $2, block_hash = $3, updated_at = now() WHERE id = $1`, [batchId, blockNumber, blockHash]);
      await m.query(`UPDATE payments SET block_number = $2, block_hash = $3, updated_at = now() WHERE batch_id = $1 AND status = 'included'`, [batchId, blockNumber, blockHash]);
    });
  }
}
