import { Inject, Injectable } from '@nestjs/common';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { WorkerHeartbeatsRepository } from '@tollgate/persistence';

/** Whether any worker is settling, as the API sees it from `worker_heartbeats`. */
export interface WorkerSignal {
  /** Seconds since the freshest heartbeat of any worker; null when none was ever recorded. */
  lastSeenAgeSeconds: number | null;
  /** Workers seen within WORKER_STALE_AFTER_SECONDS. */
  live: number;
  staleAfterSeconds: number;
  /** No worker seen within WORKER_STALE_AFTER_SECONDS: queued payments are not being settled. */
  stale: boolean;
}

/**
 * The "is settlement moving?" signals shared by the console banner, `GET /health/settlement` and
 * `/metrics`: worker heartbeats read from Postgres (the API never calls the worker).
 */
@Injectable()
export class SettlementSignals {
  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly heartbeats: WorkerHeartbeatsRepository,
  ) {}

  /** The freshest worker heartbeat against WORKER_STALE_AFTER_SECONDS. */
  async workers(): Promise<WorkerSignal> {
    const staleAfterSeconds = this.config.alerts.workerStaleAfterSeconds;
    const { lastSeenAgeSeconds, live } = await this.heartbeats.liveness(staleAfterSeconds);
    return { lastSeenAgeSeconds, live, staleAfterSeconds, stale: live === 0 };
  }
}
