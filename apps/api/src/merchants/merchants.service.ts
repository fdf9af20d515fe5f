import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MerchantEntity, SettlementMode } from '@tollgate/persistence';
import { generateApiKey, hashApiKey } from './api-keys';
import { MerchantAuthEpoch } from './merchant-auth-epoch';

/** Injection token of the {@link MerchantAuthEpoch} the API's merchants service checks its cache against. */
export const MERCHANT_AUTH_EPOCH = Symbol('MERCHANT_AUTH_EPOCH');

/** What authentication resolves a merchant key to; cached briefly on the hot path. */
export interface AuthenticatedMerchant {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlementMode: SettlementMode;
  /** Atomic units at or above which a payment settles in confirmed mode; null = never by amount. */
  confirmedThreshold: bigint | null;
  /** Ceiling (atomic units, per network and asset) on accepted-but-unsettled payments; null = none. */
  maxUnsettledExposure: bigint | null;
  /** payTo addresses the merchant owns, canonical (EVM: lower-case hex; Solana: base58 as is). */
  payTo: Set<string>;
}

/** A merchant's policy columns as Postgres returns them (amounts in atomic units, as text). */
export interface MerchantPolicyRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlement_mode: SettlementMode;
  confirmed_threshold: string | null;
  max_unsettled_exposure: string | null;
}

export interface CreateMerchantInput {
  name: string;
  payTo: string[];
  settlementMode?: SettlementMode;
  confirmedThreshold?: bigint | null;
}

/** Raised when a payTo address already belongs to a merchant. */
export class PayToTakenError extends Error {
  constructor(readonly address: string) {
    super(`payTo ${address} already belongs to a merchant`);
  }
}

/** Longest life of a cached authentication; with an epoch, any change ends it at once everywhere. */
const AUTH_CACHE_MS = 5_000;

/** Merchants, their API keys (stored hashed) and their payTo addresses. */
@Injectable()
export class MerchantsService {
  private readonly logger = new Logger(MerchantsService.name);
  private readonly cache = new Map<string, { merchant: AuthenticatedMerchant | null; expires: number; epoch: string | null }>();

  /**
   * @param epoch shared invalidation across API processes (the API always has one); without it (CLI, demo
   *   set-up) cached authentications live their full {@link AUTH_CACHE_MS}.
   */
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(MERCHANT_AUTH_EPOCH) private readonly epoch?: MerchantAuthEpoch,
  ) {}

  /**
   * Creates a merchant with its payTo addresses and a first API key.
   * @returns the merchant and the key secret — the only time the secret is visible.
   * @throws PayToTakenError when an address is owned by another merchant.
   */
  async create(input: CreateMerchantInput): Promise<{ merchant: MerchantEntity; apiKey: string; apiKeyPrefix: string }> {
    return this.dataSource.transaction(async (m) => {
      const merchant = await m.save(
        m.create(MerchantEntity, {
          name: input.name,
          settlementMode: input.settlementMode ?? 'deferred',
          confirmedThreshold: input.confirmedThreshold ?? null,
        }),
      );
      for (const address of input.payTo) {
        const rows: unknown[] = await m.query(
          `INSERT INTO merchant_pay_to (merchant_id, address) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING RETURNING id`,
          // EVM addresses are stored lower-case; Solana's base58 is case-sensitive and kept as is.
          [merchant.id, /^0x/i.test(address) ? address.toLowerCase() : address],
        );
        if (rows.length === 0) throw new PayToTakenError(address);
      }
      const key = generateApiKey();
      await m.query(`INSERT INTO merchant_api_keys (merchant_id, prefix, key_hash) VALUES ($1, $2, $3)`, [
        merchant.id,
        key.prefix,
        key.hash,
      ]);
      return { merchant, apiKey: key.secret, apiKeyPrefix: key.prefix };
    });
  }

  /**
   * Resolves an API key secret to an active merchant, or null. Never logs or stores the secret.
   * A cached answer is used only while the shared epoch is unchanged (and at most 5 s); when Redis cannot
   * tell, Postgres answers.
   */
  async authenticate(secret: string): Promise<AuthenticatedMerchant | null> {
    const hash = hashApiKey(secret);
    const epoch = this.epoch ? await this.epoch.current() : null;
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now && (!this.epoch || (epoch !== null && hit.epoch === epoch))) return hit.merchant;
    const rows: Array<MerchantPolicyRow & { pay_to: string[] | null }> =
      await this.dataSource.query(
        `SELECT m.id, m.name, m.status, m.settlement_mode, m.confirmed_threshold, m.max_unsettled_exposure,
                array(SELECT address FROM merchant_pay_to p WHERE p.merchant_id = m.id) AS pay_to
           FROM merchant_api_keys k JOIN merchants m ON m.id = k.merchant_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [hash],
      );
    const r = rows[0];
    const merchant: AuthenticatedMerchant | null =
      r && r.status === 'active'
        ? {
            id: r.id,
            name: r.name,
            status: r.status,
            settlementMode: r.settlement_mode,
            confirmedThreshold: r.confirmed_threshold === null ? null : BigInt(r.confirmed_threshold),
            maxUnsettledExposure: r.max_unsettled_exposure === null ? null : BigInt(r.max_unsettled_exposure),
            payTo: new Set(r.pay_to ?? []),
          }
        : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { merchant, expires: now + AUTH_CACHE_MS, epoch });
    return merchant;
  }

  /**
   * Call after a change to a merchant's keys, status or policy has committed: forgets this process's cached
   * authentications of the merchant and bumps the shared epoch, so every API process re-reads Postgres on
   * its next request. A failed bump is logged, not thrown (the change stands; other processes then follow
   * within the cache's 5 s).
   */
  async invalidateMerchant(merchantId: string): Promise<void> {
    for (const [hash, entry] of this.cache) {
      if (entry.merchant?.id === merchantId) this.cache.delete(hash);
    }
    if (!this.epoch) return;
    await this.epoch.bump().catch((e: Error) => this.logger.warn(`merchant auth epoch not bumped (other API processes follow within 5 s): ${e.message}`));
  }
}
