import type { DataSource } from 'typeorm';
import { MerchantEntity } from '../entities/merchant.entity';
import type { Merchant, MerchantPolicyRow, MerchantRow, PayToRow, SettlementMode } from './merchant';
import { PayToTakenError } from './merchant';

/** What {@link MerchantRepository.create} writes: the merchant, its payTo addresses and a first key (hashed). */
export interface NewMerchant {
  name: string;
  payTo: string[];
  settlementMode: SettlementMode;
  confirmedThreshold: bigint | null;
  firstKey: { prefix: string; hash: string };
}

/** Fields of a policy change; absent = unchanged, null = cleared. Amounts in atomic units. */
export interface MerchantPolicyPatch {
  settlementMode?: SettlementMode;
  confirmedThreshold?: bigint | null;
  maxUnsettledExposure?: bigint | null;
}

/** Merchants, their payTo addresses and the key lookup of authentication. */
export class MerchantRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates a merchant with its payTo addresses (stored lower-case) and its first API key, in one transaction.
   * @throws PayToTakenError when an address is owned by another merchant (nothing is written).
   */
  async create(input: NewMerchant): Promise<Merchant> {
    return this.dataSource.transaction(async (m) => {
      const merchant = await m.save(
        m.create(MerchantEntity, { name: input.name, settlementMode: input.settlementMode, confirmedThreshold: input.confirmedThreshold }),
      );
      for (const address of input.payTo) {
        const rows: unknown[] = await m.query(
          `INSERT INTO merchant_pay_to (merchant_id, address) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING RETURNING id`,
          // EVM addresses are stored lower-case; Solana's base58 is case-sensitive and kept as is.
          [merchant.id, /^0x/i.test(address) ? address.toLowerCase() : address],
        );
        if (rows.length === 0) throw new PayToTakenError(address);
      }
      await m.query(`INSERT INTO merchant_api_keys (merchant_id, prefix, key_hash) VALUES ($1, $2, $3)`, [
        merchant.id,
        input.firstKey.prefix,
        input.firstKey.hash,
      ]);
      return merchant;
    });
  }

  /**
   * The merchant holding the unrevoked key of this SHA-256 hash (whatever its status), with its unretired payTo
   * addresses and the key's id; null if none.
   */
  async findByKeyHash(hash: string): Promise<(MerchantPolicyRow & { pay_to: string[] | null; key_id: string }) | null> {
    const rows: Array<MerchantPolicyRow & { pay_to: string[] | null; key_id: string }> = await this.dataSource.query(
      `SELECT m.id, m.name, m.status, m.settlement_mode, m.confirmed_threshold, m.max_unsettled_exposure, m.rate_limit_per_second, k.id AS key_id,
              array(SELECT address FROM merchant_pay_to p WHERE p.merchant_id = m.id AND p.retired_at IS NULL) AS pay_to
         FROM merchant_api_keys k JOIN merchants m ON m.id = k.merchant_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    return rows[0] ?? null;
  }

  /** One merchant's profile and policy (amounts as text), or null. */
  async get(merchantId: string): Promise<MerchantRow | null> {
    const [row]: MerchantRow[] = await this.dataSource.query(
      `SELECT id, name, status, settlement_mode, confirmed_threshold::text, max_unsettled_exposure::text, rate_limit_per_second, created_at, updated_at
         FROM merchants WHERE id = $1`,
      [merchantId],
    );
    return row ?? null;
  }

  /** Applies a policy change. @returns false when the patch changes nothing (no statement was run). */
  async updatePolicy(merchantId: string, patch: MerchantPolicyPatch): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [merchantId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.settlementMode !== undefined) set('settlement_mode', patch.settlementMode);
    if (patch.confirmedThreshold !== undefined) set('confirmed_threshold', patch.confirmedThreshold?.toString() ?? null);
    if (patch.maxUnsettledExposure !== undefined) set('max_unsettled_exposure', patch.maxUnsettledExposure?.toString() ?? null);
    if (!sets.length) return false;
    await this.dataSource.query(`UPDATE merchants SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
    return true;
  }

  /** A merchant's payTo addresses, retired ones included, oldest first. */
  async listPayTo(merchantId: string): Promise<PayToRow[]> {
    return this.dataSource.query(`SELECT address, created_at, retired_at FROM merchant_pay_to WHERE merchant_id = $1 ORDER BY created_at, address`, [
      merchantId,
    ]);
  }

  /**
   * Adds a payTo address (in its stored form), or brings back one the merchant had retired.
   * @returns the address row and whether anything changed (false: already active).
   * @throws PayToTakenError when another merchant owns the address (retired or not: history stays with its owner).
   */
  async addPayTo(merchantId: string, address: string): Promise<{ row: PayToRow; changed: boolean }> {
    const [row]: Array<PayToRow & { merchant_id: string; changed: boolean }> = await this.dataSource.query(
      `WITH ins AS (
         INSERT INTO merchant_pay_to (merchant_id, address) VALUES ($1, $2)
         ON CONFLICT (address) DO UPDATE SET retired_at = NULL
           WHERE merchant_pay_to.merchant_id = EXCLUDED.merchant_id AND merchant_pay_to.retired_at IS NOT NULL
         RETURNING merchant_id, address, created_at, retired_at, true AS changed)
       SELECT * FROM ins
       UNION ALL
       SELECT merchant_id, address, created_at, retired_at, false FROM merchant_pay_to WHERE address = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [merchantId, address],
    );
    if (row.merchant_id !== merchantId) throw new PayToTakenError(address);
    return { row: { address: row.address, created_at: row.created_at, retired_at: row.retired_at }, changed: row.changed };
  }

  /**
   * Retires a payTo address: refused at verify from now on; payments already handed over still settle; the row stays.
   * @returns the row (idempotent for an already retired address), or null when the merchant does not own it.
   */
  async retirePayTo(merchantId: string, address: string): Promise<{ row: PayToRow; changed: boolean } | null> {
    const [row]: Array<PayToRow & { changed: boolean }> = await this.dataSource.query(
      `WITH upd AS (
         UPDATE merchant_pay_to SET retired_at = now() WHERE merchant_id = $1 AND address = $2 AND retired_at IS NULL
         RETURNING address, created_at, retired_at, true AS changed)
       SELECT * FROM upd
       UNION ALL
       SELECT address, created_at, retired_at, false FROM merchant_pay_to WHERE merchant_id = $1 AND address = $2 AND NOT EXISTS (SELECT 1 FROM upd)`,
      [merchantId, address],
    );
    return row ? { row: { address: row.address, created_at: row.created_at, retired_at: row.retired_at }, changed: row.changed } : null;
  }

  /** Sets the merchant's `/verify` + `/settle` rate limit (per second; null = deployment default, 0 = unlimited). @returns false for an unknown merchant. */
  async setRateLimit(merchantId: string, perSecond: number | null): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`WITH u AS (UPDATE merchants SET rate_limit_per_second = $2, updated_at = now() WHERE id = $1 RETURNING id) SELECT id FROM u`, [
      merchantId,
      perSecond,
    ]);
    return rows.length > 0;
  }
}
