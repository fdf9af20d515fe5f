import type { DataSource } from 'typeorm';
import { queryRows } from '../query-rows';
import type { StatusRunner } from '../status-writer';
import type { ApiKeyRow } from './merchant';

/**
 * A merchant's API keys (stored as SHA-256 of the secret). Key changes run in the caller's transaction
 * (`m`) after {@link lockMerchantAndCountActive}, which serialises them per merchant.
 */
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every key of the merchant, newest first. */
  async list(merchantId: string): Promise<ApiKeyRow[]> {
    return this.dataSource.query(`SELECT id, prefix, name, created_at, revoked_at, last_used_at FROM merchant_api_keys WHERE merchant_id = $1 ORDER BY created_at DESC, id`, [
      merchantId,
    ]);
  }

  /** Locks the merchant row (so two revokes cannot both pass the last-key rule) and counts its active keys. */
  async lockMerchantAndCountActive(m: StatusRunner, merchantId: string): Promise<number> {
    await m.query(`SELECT id FROM merchants WHERE id = $1 FOR UPDATE`, [merchantId]);
    const [{ n }] = await queryRows<{ n: number }>(
      m,
      `SELECT count(*)::int AS n FROM merchant_api_keys WHERE merchant_id = $1 AND revoked_at IS NULL`,
      [merchantId],
    );
    return n;
  }

  /** The merchant's key `keyId`, or null (another merchant's key is answered as none). */
  async find(m: StatusRunner, merchantId: string, keyId: string): Promise<ApiKeyRow | null> {
    const [row] = await queryRows<ApiKeyRow>(m, `SELECT id, prefix, name, created_at, revoked_at, last_used_at FROM merchant_api_keys WHERE id = $1 AND merchant_id = $2`, [
      keyId,
      merchantId,
    ]);
    return row ?? null;
  }

  /** Stores a new key by its prefix and hash. */
  async insert(m: StatusRunner, merchantId: string, key: { prefix: string; hash: string; name?: string | null }): Promise<ApiKeyRow> {
    const [row] = await queryRows<ApiKeyRow>(
      m,
      `INSERT INTO merchant_api_keys (merchant_id, prefix, key_hash, name) VALUES ($1, $2, $3, $4) RETURNING id, prefix, name, created_at, revoked_at, last_used_at`,
      [merchantId, key.prefix, key.hash, key.name ?? null],
    );
    return row;
  }

  /** Revokes a key now. */
  async revoke(m: StatusRunner, keyId: string): Promise<ApiKeyRow> {
    const [revoked] = await queryRows<ApiKeyRow>(
      m,
      `WITH r AS (UPDATE merchant_api_keys SET revoked_at = now() WHERE id = $1 RETURNING id, prefix, name, created_at, revoked_at, last_used_at) SELECT * FROM r`,
      [keyId],
    );
    return revoked;
  }

  /** Revokes every active key of the merchant now. @returns the prefixes of the keys revoked. */
  async revokeAllActive(m: StatusRunner, merchantId: string): Promise<string[]> {
    const rows = await queryRows<{ prefix: string }>(
      m,
      `WITH r AS (UPDATE merchant_api_keys SET revoked_at = now() WHERE merchant_id = $1 AND revoked_at IS NULL RETURNING prefix, created_at) SELECT prefix FROM r ORDER BY created_at`,
      [merchantId],
    );
    return rows.map((r) => r.prefix);
  }

  /** Prefixes of the merchant's active keys, oldest first. */
  async activePrefixes(m: StatusRunner, merchantId: string): Promise<string[]> {
    const rows = await queryRows<{ prefix: string }>(m, `SELECT prefix FROM merchant_api_keys WHERE merchant_id = $1 AND revoked_at IS NULL ORDER BY created_at`, [merchantId]);
    return rows.map((r) => r.prefix);
  }

  /**
   * Records that these keys (ids) authenticated a request at about `at`. One statement for a whole batch;
   * never moves a time backwards.
   */
  async touchLastUsed(keyIds: string[], at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE merchant_api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < $2)`,
      [keyIds, at],
    );
  }
}
