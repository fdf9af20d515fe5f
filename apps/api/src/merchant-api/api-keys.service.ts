import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ApiKeyRepository, ApiKeyRow } from '@tollgate/persistence';
import { generateApiKey } from '../merchants/api-keys';
import { MerchantsService } from '../merchants/merchants.service';

/** Most active API keys one merchant may hold (several allow rotation without downtime). */
export const MAX_ACTIVE_API_KEYS = 10;

export interface ApiKeyView {
  id: string;
  /** First characters of the secret, for recognition (e.g. `tg_AbC123x`). */
  prefix: string;
  /** The label given at creation (kept through rotation); null when none was given. */
  name: string | null;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  /** Last authenticated request, to about a minute; null = never used. */
  lastUsedAt: string | null;
}

/** A newly made key: the only time its secret is visible. */
export interface CreatedApiKey extends ApiKeyView {
  secret: string;
}

/**
 * A merchant's API keys: several may be active at once; secrets are shown once and stored as SHA-256;
 * the last active key cannot be revoked (the merchant would lock itself out). Every change drops this
 * process's cached authentications of the merchant.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly merchants: MerchantsService,
  ) {}

  async list(merchantId: string): Promise<ApiKeyView[]> {
    return (await this.keys.list(merchantId)).map(view);
  }

  /** @throws ConflictException when the merchant already holds {@link MAX_ACTIVE_API_KEYS} active keys. */
  async create(merchantId: string, name: string | null = null): Promise<CreatedApiKey> {
    return this.dataSource.transaction(async (m) => {
      const active = await this.keys.lockMerchantAndCountActive(m, merchantId);
      if (active >= MAX_ACTIVE_API_KEYS) throw new ConflictException(`at most ${MAX_ACTIVE_API_KEYS} active API keys; revoke one first`);
      return this.insert(m, merchantId, name);
    });
  }

  /**
   * Revokes a key (idempotent for an already revoked key).
   * @throws NotFoundException for a key of another merchant or none; ConflictException for the last active key.
   */
  async revoke(merchantId: string, keyId: string): Promise<ApiKeyView> {
    const key = await this.dataSource.transaction(async (m) => {
      const active = await this.keys.lockMerchantAndCountActive(m, merchantId);
      const row = await this.find(m, merchantId, keyId);
      if (row.revoked_at) return row;
      if (active <= 1) throw new ConflictException('cannot revoke the last active API key; create another first');
      return this.keys.revoke(m, keyId);
    });
    await this.merchants.invalidateMerchant(merchantId);
    return view(key);
  }

  /**
   * Replaces a key: makes a new one and revokes the old in one transaction.
   * @throws NotFoundException for a key of another merchant or none; ConflictException for a revoked key.
   */
  async rotate(merchantId: string, keyId: string): Promise<CreatedApiKey & { replaced: ApiKeyView }> {
    const out = await this.dataSource.transaction(async (m) => {
      await this.keys.lockMerchantAndCountActive(m, merchantId);
      const old = await this.find(m, merchantId, keyId);
      if (old.revoked_at) throw new ConflictException('this API key is already revoked');
      const created = await this.insert(m, merchantId, old.name);
      return { ...created, replaced: view(await this.keys.revoke(m, keyId)) };
    });
    await this.merchants.invalidateMerchant(merchantId);
    return out;
  }

  private async find(m: EntityManager, merchantId: string, keyId: string): Promise<ApiKeyRow> {
    const row = await this.keys.find(m, merchantId, keyId);
    if (!row) throw new NotFoundException('API key not found');
    return row;
  }

  private async insert(m: EntityManager, merchantId: string, name: string | null): Promise<CreatedApiKey> {
    const key = generateApiKey();
    const row = await this.keys.insert(m, merchantId, { prefix: key.prefix, hash: key.hash, name });
    return { ...view(row), secret: key.secret };
  }
}

function view(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    prefix: r.prefix,
    name: r.name,
    status: r.revoked_at ? 'revoked' : 'active',
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  };
}
