import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { FacilitatorReads, type PaymentProgress } from '@tollgate/persistence';
import { settleFailure, type SettleResponse } from '@tollgate/protocol';

const POLL_MS = 100;


interface Waiter {
  paymentId: string;
  deadline: number;
  resolve: (p: PaymentProgress | null) => void;
}

/**
 * Confirmed settle mode: waits until the payment's batch is included, then answers with the real
 * transaction hash. All waiting requests of the process share one poller (one query per tick for every
 * pending payment), so a burst of confirmed settles costs a handful of queries, and concurrent waiters
 * share the batch their payments land in. On timeout answers a clear non-success carrying the pending
 * reference: `settlement_pending` with the broadcast transaction hash once the batch is on the wire (the
 * official resource server then retries once, and the retry resumes the wait), else
 * `tollgate_settlement_timeout`.
 */
@Injectable()
export class SettlementWaiter implements OnModuleDestroy {
  private readonly waiters = new Set<Waiter>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly reads: FacilitatorReads,
  ) {}

  /** Confirmed-mode settles of this process waiting for their batch right now. */
  get waiting(): number {
    return this.waiters.size;
  }

  async waitForInclusion(paymentId: string, queued: SettleResponse): Promise<SettleResponse> {
    const ext = (queued.extensions?.tollgate ?? {}) as Record<string, unknown>;
    const timeoutMs = this.config.settlement.confirmedSettleTimeoutMs;
    const r = await new Promise<PaymentProgress | null>((resolve) => {
      this.waiters.add({ paymentId, deadline: Date.now() + timeoutMs, resolve });
      this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    });
    if (r && (r.status === 'included' || r.status === 'confirmed') && r.tx_hash) {
      return { ...queued, transaction: r.tx_hash, extensions: { tollgate: { ...ext, status: r.status } } };
    }
    const base = { payer: queued.payer, network: queued.network, extensions: { tollgate: { ...ext, status: r?.status ?? 'queued' } } };
    if (r && (r.status === 'failed' || r.status === 'lapsed')) {
      return settleFailure({ reason: r.failure_reason ?? 'unexpected_settle_error', message: r.failure_message ?? `payment ${r.status}`, ...base });
    }
    if (r && r.status === 'submitted' && r.broadcast_tx_hash) {
      // The shape the official resource server retries once with the identical payload (x402 core
      // `settleWithPendingRetry`); the retry lands in FacilitatorService.settle, which resumes this wait.
      return settleFailure({
        reason: 'settlement_pending',
        message: `broadcast in ${r.broadcast_tx_hash} but not included within ${timeoutMs} ms; settle the same payment again to keep waiting`,
        transaction: r.broadcast_tx_hash,
        ...base,
      });
    }
    return settleFailure({
      reason: 'tollgate_settlement_timeout',
      message: `not included within ${timeoutMs} ms; the payment stays ${r?.status ?? 'queued'} and keeps its reference`,
      ...base,
    });
  }

  private polling = false;

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const pending = [...this.waiters];
      const rows = await this.reads.progressOf(pending.map((w) => w.paymentId));
      const byId = new Map(rows.map((r) => [r.id, r]));
      const now = Date.now();
      for (const w of pending) {
        const r = byId.get(w.paymentId) ?? null;
        const done = r && ['included', 'confirmed', 'failed', 'lapsed'].includes(r.status);
        if (done || now >= w.deadline) {
          this.waiters.delete(w);
          w.resolve(r);
        }
      }
    } catch {
      // A failed poll is retried on the next tick; deadlines still bound every wait.
    } finally {
      this.polling = false;
      if (this.waiters.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const w of this.waiters) w.resolve(null);
    this.waiters.clear();
  }
}
