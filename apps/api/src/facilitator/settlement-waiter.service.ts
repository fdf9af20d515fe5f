import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import type { SettleResponse } from '@tollgate/protocol';

const POLL_MS = 100;

/**
 * Confirmed settle mode: waits until the payment's batch is included, then answers with the real
 * transaction hash. Concurrent waiters share the batch their payments land in. On timeout answers a
 * clear non-success carrying the pending reference (`tollgate_settlement_timeout`).
 */
@Injectable()
export class SettlementWaiter {
  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
  ) {}

  async waitForInclusion(paymentId: string, queued: SettleResponse): Promise<SettleResponse> {
    const deadline = Date.now() + this.config.settlement.confirmedSettleTimeoutMs;
    const ext = (queued.extensions?.tollgate ?? {}) as Record<string, unknown>;
    for (;;) {
      const rows: Array<{ status: string; tx_hash: string | null; failure_reason: string | null; failure_message: string | null }> = await this.dataSource.query(
        `SELECT status, tx_hash, failure_reason, failure_message FROM payments WHERE id = $1`,
        [paymentId],
      );
      const r = rows[0];
      if (r && (r.status === 'included' || r.status === 'confirmed') && r.tx_hash) {
        return { ...queued, transaction: r.tx_hash, extensions: { tollgate: { ...ext, status: r.status } } };
      }
      if (r && (r.status === 'failed' || r.status === 'lapsed')) {
        return {
          success: false,
          errorReason: r.failure_reason ?? 'unexpected_settle_error',
          errorMessage: r.failure_message ?? `payment ${r.status}`,
          payer: queued.payer,
          transaction: '',
          network: queued.network,
          extensions: { tollgate: { ...ext, status: r.status } },
        };
      }
      if (Date.now() >= deadline) {
        return {
          success: false,
          errorReason: 'tollgate_settlement_timeout',
          errorMessage: `not included within ${this.config.settlement.confirmedSettleTimeoutMs} ms; the payment stays queued, check its reference`,
          payer: queued.payer,
          transaction: '',
          network: queued.network,
          extensions: { tollgate: { ...ext, status: r?.status ?? 'queued' } },
        };
      }
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
  }
}
