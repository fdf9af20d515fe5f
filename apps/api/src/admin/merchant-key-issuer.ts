import { ConflictException, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { AdminActionsRepository, ApiKeyRepository } from '@tollgate/persistence';
import { MAX_ACTIVE_API_KEYS } from '../merchant-api/api-keys.service';
import { generateApiKey } from '../merchants/api-keys';
import { issueMerchantKeyBody } from './admin-input';
import type { AdminAuditService } from './admin-audit.service';
import type { AdminIdentity } from './auth/admin-auth.service';

export type IssueMerchantKeyInput = z.output<typeof issueMerchantKeyBody>;

/** What the operator gets back: the key's secret, this once (it is stored as SHA-256 only). */
export interface IssuedMerchantKey {
  ok: true;
  message: string;
  before: { activeKeys: string[] };
  after: { issued: string; name: string | null; revoked: string[] };
  merchantId: string;
  keyId: string;
  apiKey: string;
  apiKeyPrefix: string;
}

/** Label of a key issued by an operator when none is given. */
export const OPERATOR_KEY_NAME = 'issued by an operator';

/**
 * The operator action for a merchant that lost every API key: makes a new key (stored hashed, like every
 * key) and, on request, revokes the merchant's other keys — in one transaction with its audit row
 * (`merchant.api_key.issue`, prefixes only, never a secret). Shared by the admin API, the console and
 * `npm run admin -- issue-merchant-key`, so all three behave alike.
 */
export class MerchantKeyIssuer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly merchants: AdminActionsRepository,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AdminAuditService,
  ) {}

  /**
   * @throws NotFoundException for an unknown merchant; ConflictException when the merchant already holds
   *   {@link MAX_ACTIVE_API_KEYS} active keys and none are to be revoked.
   */
  async issue(who: AdminIdentity | { actor: string }, merchantId: string, input: IssueMerchantKeyInput, requestId?: string): Promise<IssuedMerchantKey> {
    return this.dataSource.transaction(async (m) => {
      const merchant = await this.merchants.lockMerchant(m, merchantId);
      if (!merchant) throw new NotFoundException(`no merchant ${merchantId}`);
      const active = await this.keys.activePrefixes(m, merchantId);
      if (!input.revokeExisting && active.length >= MAX_ACTIVE_API_KEYS) {
        throw new ConflictException(`merchant ${merchant.name} holds ${active.length} active API keys (at most ${MAX_ACTIVE_API_KEYS}); revoke them with this action`);
      }
      const revoked = input.revokeExisting ? await this.keys.revokeAllActive(m, merchantId) : [];
      const key = generateApiKey();
      const name = input.name ?? OPERATOR_KEY_NAME;
      const row = await this.keys.insert(m, merchantId, { prefix: key.prefix, hash: key.hash, name });
      const before = { activeKeys: active };
      const after = { issued: key.prefix, name, revoked };
      await this.audit.record(who, { action: 'merchant.api_key.issue', targetType: 'merchant', targetId: merchantId, before, after, requestId }, m);
      const message = `New API key ${key.prefix}… issued to ${merchant.name}${revoked.length ? `; ${revoked.length} other key(s) revoked` : ''}. It is shown once: hand it over now.`;
      return { ok: true as const, message, before, after, merchantId, keyId: row.id, apiKey: key.secret, apiKeyPrefix: key.prefix };
    });
  }
}
