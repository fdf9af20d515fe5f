import { DataSource, EntityManager } from 'typeorm';
import { PaymentLedger } from '../payments/payment-ledger';

/** A queued Solana payment handed to {@link SvmTransactionStore.claimQueued}'s signer. */
export interface QueuedSvmPayment {
  id: string;
  reference: string;
  network: string;
  /** The payer's transaction, base64 wire bytes (the payment's stored `signature` on Solana). */
  payerTransaction: string;
}

/** What the signer made of a queued payment: the fully signed transaction, or why it cannot be settled. */
export type SvmSigning =
  | { kind: 'signed'; feePayer: string; signature: string; blockhash: string; wireTransaction: string }
  | { kind: 'failed'; reason: string; message: string }
  /** Not this worker's to sign (it holds no key of that fee payer): left queued. */
  | { kind: 'skip' };

/** A stored Solana transaction still to be landed or confirmed, with its payment's status. */
export interface PendingSvmTransaction {
  paymentId: string;
  network: string;
  feePayer: string;
  /** Base58: the transaction's id on chain. */
  signature: string;
  blockhash: string;
  wireTransaction: string;
  broadcasts: number;
  lastBroadcastAt: Date | null;
  status: 'batched' | 'submitted' | 'included';
  /** When the payment entered the queue (for the worker's queued→included/confirmed histograms). */
  queuedAt: Date | null;
}

/**
 * Solana settlement rows (`svm_transactions`): claiming queued Solana payments and storing each one's fully
 * signed transaction before anything is broadcast, so a restarted worker re-broadcasts the same bytes.
 * Status changes go through {@link PaymentLedger}.
 */
export class SvmTransactionStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: PaymentLedger,
  ) {}

  /**
   * Claims up to `limit` queued payments of `network`, earliest deadline first (`FOR UPDATE SKIP LOCKED`,
   * so concurrent workers never claim one twice), has `sign` co-sign each, and in the same database
   * transaction stores the signed transaction and moves the payment `queued → batched` (or `→ failed`). A
   * payment that already has a stored transaction (re-queued after it vanished) moves without signing.
   * @returns the ids moved to `batched`.
   */
  async claimQueued(network: string, limit: number, sign: (p: QueuedSvmPayment) => Promise<SvmSigning>): Promise<string[]> {
    return this.dataSource.transaction(async (m) => {
      const rows: Array<{ id: string; reference: string; network: string; signature: string; stored_signature: string | null; stored_fee_payer: string | null }> = await m.query(
        `SELECT p.id, p.reference, p.network, p.signature, s.signature AS stored_signature, s.fee_payer AS stored_fee_payer
           FROM payments p LEFT JOIN svm_transactions s ON s.payment_id = p.id
          WHERE p.network = $1 AND p.status = 'queued'
          ORDER BY p.expires_at, p.queued_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED`,
        [network, limit],
      );
      const claimed: string[] = [];
      for (const r of rows) {
        if (r.stored_signature) {
          // Re-queued after its transaction vanished (a fork): the stored bytes go out again, never re-signed.
          claimed.push(...(await this.ledger.transition([r.id], 'queued', 'batched', { detail: { signature: r.stored_signature, feePayer: r.stored_fee_payer, stored: true } }, m)));
          continue;
        }
        const s = await sign({ id: r.id, reference: r.reference, network: r.network, payerTransaction: r.signature });
        if (s.kind === 'skip') continue;
        if (s.kind === 'failed') {
          await this.ledger.transition([r.id], 'queued', 'failed', { reason: s.reason, patch: { failure_reason: s.reason, failure_message: s.message } }, m);
          continue;
        }
        await m.query(
          `INSERT INTO svm_transactions (payment_id, network, fee_payer, signature, blockhash, wire_transaction)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_id) DO NOTHING`,
          [r.id, r.network, s.feePayer, s.signature, s.blockhash, s.wireTransaction],
        );
        claimed.push(...(await this.ledger.transition([r.id], 'queued', 'batched', { detail: { signature: s.signature, feePayer: s.feePayer } }, m)));
      }
      return claimed;
    });
  }

  /** Stored transactions of `network` whose payment is batched, submitted or included, earliest deadline first. */
  async pending(network: string, limit: number, manager?: EntityManager): Promise<PendingSvmTransaction[]> {
    const rows: Array<Record<string, unknown>> = await (manager ?? this.dataSource).query(
      `SELECT s.payment_id, s.network, s.fee_payer, s.signature, s.blockhash, s.wire_transaction, s.broadcasts, s.last_broadcast_at, p.status, p.queued_at
         FROM svm_transactions s JOIN payments p ON p.id = s.payment_id
        WHERE s.network = $1 AND p.status IN ('batched', 'submitted', 'included')
        ORDER BY p.expires_at LIMIT $2`,
      [network, limit],
    );
    return rows.map((r) => ({
      paymentId: r.payment_id as string,
      network: r.network as string,
      feePayer: r.fee_payer as string,
      signature: r.signature as string,
      blockhash: r.blockhash as string,
      wireTransaction: r.wire_transaction as string,
      broadcasts: Number(r.broadcasts),
      lastBroadcastAt: (r.last_broadcast_at as Date | null) ?? null,
      status: r.status as PendingSvmTransaction['status'],
      queuedAt: (r.queued_at as Date | null) ?? null,
    }));
  }

  /** Records one more broadcast of a payment's stored transaction. */
  async markBroadcast(paymentId: string): Promise<void> {
    await this.dataSource.query(`UPDATE svm_transactions SET broadcasts = broadcasts + 1, last_broadcast_at = now(), updated_at = now() WHERE payment_id = $1`, [paymentId]);
  }

  /** Queued Solana payments of `network` (for gauges and tests). */
  async queuedCount(network: string): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM payments WHERE network = $1 AND status = 'queued'`, [network]);
    return n as number;
  }
}
