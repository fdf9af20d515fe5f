import type { DataSource } from 'typeorm';
import { queryRows } from '../query-rows';
import type { StatusRunner } from '../status-writer';

/** A webhook endpoint as its merchant sees it (never its secrets). */
export interface WebhookEndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  status: 'active' | 'disabled';
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An endpoint as the deliverer needs it: where to send and the sealed secrets that sign. */
export interface WebhookEndpointSendRow {
  id: string;
  url: string;
  status: 'active' | 'disabled';
  deleted: boolean;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  /** The previous secret's overlap has not ended yet. */
  previous_active: boolean;
}

/** A change of an endpoint; absent = unchanged. */
export interface WebhookEndpointPatch {
  /** A new URL also starts a fresh failure run. */
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  /** `active` re-enables (and forgets the failure run); `disabled` records a merchant's disabling. */
  status?: 'active' | 'disabled';
}

const ENDPOINT_COLUMNS = `id, url, description, event_types, status, disabled_at, disabled_reason, failing_since, last_success_at,
  last_failure_at, previous_secret_expires_at, created_at, updated_at`;

/**
 * Merchants' webhook endpoints (`webhook_endpoints`): the merchant API's reads and changes, scoped by
 * merchant, and the deliverer's health bookkeeping. Writes that must hold with others take the caller's
 * transaction (`m`).
 */
export class WebhookEndpointRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Locks the merchant row (serialising endpoint creation) and counts its endpoints not deleted. */
  async lockMerchantAndCountLive(m: StatusRunner, merchantId: string): Promise<number> {
    await m.query(`SELECT id FROM merchants WHERE id = $1 FOR UPDATE`, [merchantId]);
    const [{ n }] = await queryRows<{ n: number }>(
      m,
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL`,
      [merchantId],
    );
    return n;
  }

  /** Stores a new endpoint with its sealed signing secret. */
  async insert(
    m: StatusRunner,
    e: { id: string; merchantId: string; url: string; description: string | null; eventTypes: string[]; secretCiphertext: string },
  ): Promise<WebhookEndpointRow> {
    const [created] = await queryRows<WebhookEndpointRow>(
      m,
      `INSERT INTO webhook_endpoints (id, merchant_id, url, description, event_types, secret_ciphertext)
       VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING ${ENDPOINT_COLUMNS}`,
      [e.id, e.merchantId, e.url, e.description, e.eventTypes, e.secretCiphertext],
    );
    return created;
  }

  /** The merchant's endpoints not deleted, oldest first. */
  async list(merchantId: string): Promise<WebhookEndpointRow[]> {
    return queryRows<WebhookEndpointRow>(
      this.dataSource,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [merchantId],
    );
  }

  /**
   * The merchant's endpoint `id` unless deleted, or null (another merchant's is answered as none). Inside a
   * transaction pass its manager `m`; `lock` takes the row `FOR UPDATE`.
   */
  async find(merchantId: string, id: string, m?: StatusRunner, lock = false): Promise<WebhookEndpointRow | null> {
    const [row] = await queryRows<WebhookEndpointRow>(
      m ?? this.dataSource,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id, merchantId],
    );
    return row ?? null;
  }

  /** Applies a change. @returns the updated row, or null when the patch changes nothing (no statement was run). */
  async update(m: StatusRunner, id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (sql: string, value: unknown) => {
      params.push(value);
      sets.push(sql.replace('?', `$${params.length}`));
    };
    if (patch.url !== undefined) {
      set('url = ?', patch.url);
      sets.push('failing_since = NULL');
    }
    if (patch.eventTypes !== undefined) set('event_types = ?::text[]', patch.eventTypes);
    if (patch.description !== undefined) set('description = ?', patch.description);
    if (patch.status === 'active') {
      sets.push(`status = 'active'`, 'disabled_at = NULL', 'disabled_reason = NULL', 'failing_since = NULL');
    } else if (patch.status === 'disabled') {
      sets.push(`status = 'disabled'`, 'disabled_at = now()', `disabled_reason = 'disabled by the merchant'`);
    }
    if (sets.length === 0) return null;
    const [updated] = await queryRows<WebhookEndpointRow>(
      m,
      `WITH u AS (UPDATE webhook_endpoints SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}) SELECT * FROM u`,
      params,
    );
    return updated;
  }

  /** Soft-deletes an endpoint: its delivery log stays for the merchant's and admins' records. */
  async softDelete(m: StatusRunner, id: string): Promise<void> {
    await m.query(`UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * Installs a new sealed secret; the current one keeps signing for `overlapSeconds` (0: not at all) and an
   * older previous secret is dropped.
   */
  async rotateSecret(m: StatusRunner, id: string, secretCiphertext: string, overlapSeconds: number): Promise<WebhookEndpointRow> {
    const [updated] = await queryRows<WebhookEndpointRow>(
      m,
      `WITH u AS (
         UPDATE webhook_endpoints
            SET previous_secret_ciphertext = CASE WHEN $3::int > 0 THEN secret_ciphertext END,
                previous_secret_expires_at = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int) END,
                secret_ciphertext = $2, updated_at = now()
          WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}
       ) SELECT * FROM u`,
      [id, secretCiphertext, overlapSeconds],
    );
    return updated;
  }

  /** An endpoint for sending (deleted ones too, flagged), or null. */
  async forSending(id: string): Promise<WebhookEndpointSendRow | null> {
    const [endpoint] = await queryRows<WebhookEndpointSendRow>(
      this.dataSource,
      `SELECT id, url, status, deleted_at IS NOT NULL AS deleted, secret_ciphertext, previous_secret_ciphertext,
              coalesce(previous_secret_expires_at > clock_timestamp(), false) AS previous_active
         FROM webhook_endpoints WHERE id = $1`,
      [id],
    );
    return endpoint ?? null;
  }

  /** A successful attempt ends the endpoint's failure run. */
  async recordSuccess(m: StatusRunner, id: string): Promise<void> {
    await m.query(`UPDATE webhook_endpoints SET failing_since = NULL, last_success_at = now() WHERE id = $1`, [id]);
  }

  /**
   * A failed attempt starting at `startedAt` extends (or starts) the failure run of a live, active endpoint.
   * @returns the run's start and whether it has lasted `disableAfterSeconds`; null when the endpoint is not active.
   */
  async recordFailure(m: StatusRunner, id: string, startedAt: Date, disableAfterSeconds: number): Promise<{ failing_since: Date; disable: boolean } | null> {
    const [health] = await queryRows<{ failing_since: Date; disable: boolean }>(
      m,
      `WITH h AS (
         UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2), last_failure_at = now()
          WHERE id = $1 AND status = 'active' AND deleted_at IS NULL
          RETURNING failing_since, failing_since <= clock_timestamp() - make_interval(secs => $3) AS disable
       ) SELECT * FROM h`,
      [id, startedAt, disableAfterSeconds],
    );
    return health ?? null;
  }

  /** Disables an active endpoint. @returns when, or null when it was not active (another worker won). */
  async disable(m: StatusRunner, id: string, reason: string): Promise<Date | null> {
    const [off] = await queryRows<{ disabled_at: Date }>(
      m,
      `WITH o AS (
         UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now(), disabled_reason = $2, updated_at = now()
          WHERE id = $1 AND status = 'active' RETURNING disabled_at
       ) SELECT * FROM o`,
      [id, reason],
    );
    return off ? off.disabled_at : null;
  }
}
