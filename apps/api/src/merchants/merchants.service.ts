import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Merchant, MerchantRepository, SettlementMode } from '@tollgate/persistence';
import { generateApiKey, hashApiKey } from './api-keys';
import { MerchantAuthEpoch } from './merchant-auth-epoch';


/** Injection token of the {@link MerchantAuthEpoch} the API's merchants service checks its cache against. */
export const MERCHANT_AUTH_EPOCH = Symbol('MERCHANT_AUTH_EPOCH');

/** What authentication resolves a merchant key to (its policy and payTo addresses); cached briefly on the hot path. */
export interface AuthenticatedMerchant extends Omit<Merchant, 'createdAt' | 'updatedAt'> {
  /** The merchant's payTo addresses in their mechanism's canonical form, unretired (EVM: lower case; Solana: base58). */
  payTo: Set<string>;
  /** `/verify` + `/settle` requests per second; null = the deployment default, 0 = unlimited. */
  rateLimitPerSecond: number | null;
  /** The id of the API key the request authenticated with (for its last-used time). */
  keyId: string;
}

export interface CreateMerchantInput {
  name: string;
  payTo: string[];
  settlementMode?: SettlementMode;
  confirmedThreshold?: bigint | null;
}

/** Longest life of a cached authentication; with an epoch, any change ends it at once everywhere. */
const AUTH_CACHE_MS = 5_000;

/** Merchants, their API keys (stored hashed) and their payTo addresses. */
@Injectable()
export class MerchantsService {
  private readonly logger = new Logger(MerchantsService.name);
  private readonly cache = new Map<string, { merchant: AuthenticatedMerchant | null; expires: number; epoch: string | null }>();
  private readonly repo: MerchantRepository;

  /**
   * @param epoch shared invalidation across API processes (the API always has one); without it (CLI, demo
   *   set-up) cached authentications live their full {@link AUTH_CACHE_MS}.
   */
  constructor(
    dataSource: DataSource,
    @Optional() @Inject(MERCHANT_AUTH_EPOCH) private readonly epoch?: MerchantAuthEpoch,
  ) {
    // Built here rather than injected: the CLI and the demo construct this service with a bare DataSource.
    this.repo = new MerchantRepository(dataSource);
  }

  /**
   * Creates a merchant with its payTo addresses and a first API key.
   * @returns the merchant and the key secret — the only time the secret is visible.
   * @throws PayToTakenError when an address is owned by another merchant.
   */
  async create(input: CreateMerchantInput): Promise<{ merchant: Merchant; apiKey: string; apiKeyPrefix: string }> {
    const key = generateApiKey();
    const merchant = await this.repo.create({
      name: input.name,
      payTo: input.payTo,
      settlementMode: input.settlementMode ?? 'deferred',
      confirmedThreshold: input.confirmedThreshold ?? null,
      firstKey: { prefix: key.prefix, hash: key.hash },
    });
    return { merchant, apiKey: key.secret, apiKeyPrefix: key.prefix };
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
    const r = await this.repo.findByKeyHash(hash);
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
            rateLimitPerSecond: r.rate_limit_per_second,
            keyId: r.key_id,
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
