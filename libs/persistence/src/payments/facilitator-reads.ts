import { DataSource } from 'typeorm';
import type { SettlementMode } from '../entities/merchant.entity';

/** A payment row as `/settle` answers about it (repeats, stored answers). Integers as decimal strings. */
export interface HandedOverRow {
  id: string;
  scheme: string;
  network: string;
  reference: string;
  status: string;
  /** Canonical form of the payer's mechanism. */
  payer: string;
  /** Unix seconds. */
  valid_before: string;
  settlement_mode: SettlementMode | null;
  tx_hash: string | null;
  failure_reason: string | null;
  failure_message: string | null;
}

/**
 * Every field of a settle that must be identical for it to be a repeat of one already handed over: the lane,
 * the claim's signed fields in canonical form, the merchant and the requirements. Integers as decimal strings.
 */
export interface HandedOverMatch {
  network: string;
  asset: string;
  payer: string;
  nonce: string;
  signature: string;
  merchantId: string;
  payTo: string;
  value: string;
  validAfter: string;
  validBefore: string;
  x402Version: number;
  scheme: string;
  /** JSON text, compared as jsonb with the stored requirements minus `resource` (the paid URL, kept for display). */
  requirements: string;
}

/** Progress of a payment a confirmed-mode settle waits on. */
export interface PaymentProgress {
  id: string;
  status: string;
  tx_hash: string | null;
  /** For a `submitted` payment, what is on the wire: the batch transaction last broadcast (EVM; replacements change it) or the payment's own transaction signature (Solana). */
  broadcast_tx_hash: string | null;
  failure_reason: string | null;
  failure_message: string | null;
}

const HANDED_OVER_COLUMNS = 'id, scheme, network, reference, status, payer, valid_before, settlement_mode, tx_hash, failure_reason, failure_message';

/** The payment reads of the `/settle` path (idempotent repeats and confirmed-mode waits). */
export class FacilitatorReads {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The payment matching every field of `m` once it is `queued` or further (failed included).
   * One indexed read (the `(network, asset, payer, nonce)` unique key).
   */
  async findHandedOver(m: HandedOverMatch): Promise<HandedOverRow | undefined> {
    const rows: HandedOverRow[] = await this.dataSource.query(
      `SELECT ${HANDED_OVER_COLUMNS} FROM payments
        WHERE network = $1 AND asset = $2 AND payer = $3 AND nonce = $4 AND signature = $5 AND merchant_id = $6
          AND pay_to = $7 AND amount = $8 AND valid_after = $9 AND valid_before = $10 AND x402_version = $11 AND scheme = $12
          AND requirements - 'resource' = $13::jsonb
          AND status IN ('queued', 'batched', 'submitted', 'included', 'confirmed', 'failed')`,
      [m.network, m.asset, m.payer, m.nonce, m.signature, m.merchantId, m.payTo, m.value, m.validAfter, m.validBefore, m.x402Version, m.scheme, m.requirements],
    );
    return rows[0];
  }

  /** Payment `id` of `merchantId` as it stands now. */
  async findOfMerchant(id: string, merchantId: string): Promise<HandedOverRow | undefined> {
    const rows: HandedOverRow[] = await this.dataSource.query(`SELECT ${HANDED_OVER_COLUMNS} FROM payments_all WHERE id = $1 AND merchant_id = $2`, [id, merchantId]);
    return rows[0];
  }

  /**
   * Progress of the payments `ids` (missing ids are absent from the answer). `broadcast_tx_hash` of a
   * `submitted` payment: its batch's transaction (EVM) or its own stored transaction's signature (Solana).
   */
  async progressOf(ids: readonly string[]): Promise<PaymentProgress[]> {
    return this.dataSource.query(
      `SELECT p.id, p.status, p.tx_hash, p.failure_reason, p.failure_message, coalesce(b.tx_hash, s.signature) AS broadcast_tx_hash
         FROM payments p
         LEFT JOIN settlement_batches b ON b.id = p.batch_id AND p.status = 'submitted'
         LEFT JOIN svm_transactions s ON s.payment_id = p.id AND p.status = 'submitted'
        WHERE p.id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
  }

  /** Addresses registered by workers as signers (relayers, fee payers) of `networks`, oldest first. */
  async signersOf(networks: readonly string[]): Promise<Array<{ network: string; address: string }>> {
    return this.dataSource.query(`SELECT network, address FROM relayers WHERE network = ANY($1) ORDER BY created_at, address`, [networks]);
  }
}
