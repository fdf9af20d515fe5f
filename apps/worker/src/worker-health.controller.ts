import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { WorkerMetricsRepository } from '@tollgate/persistence';
import { JobQueues, QueueName } from '@tollgate/queue';
import { readRelayerNonceGaps, wedgedMessage } from '@tollgate/settlement';
import { CHECK_TIMEOUT_MS, withTimeout } from './worker-metrics';

/** Injection token: the worker's own loops, each up while it consumes and ticks (see {@link WorkerLoop}). */
export const WORKER_LOOPS = Symbol('WORKER_LOOPS');

/** A loop of this process that readiness reports: `running` is false once it stopped (or never began). */
export interface WorkerLoop {
  readonly name: string;
  readonly running: boolean;
}

/**
 * `GET /health` and `GET /health/live` (liveness: the process answers) and `GET /health/ready`: Postgres,
 * Redis, RPC per network, `relayers` (down while a relayer is wedged behind a nonce gap older than
 * RELAYER_WEDGED_AFTER_MS) and, in the worker process, `loops` (down when a consumer or its loop stopped).
 * Answers 503 with terminus's `{ status, info, error, details }` when any check is down.
 */
@Controller('health')
export class WorkerHealthController {
  private readonly repository: WorkerMetricsRepository;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly queues: JobQueues,
    private readonly chains: ChainClients,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    @Inject(WORKER_LOOPS) private readonly loops: readonly WorkerLoop[],
  ) {
    this.repository = new WorkerMetricsRepository(dataSource);
  }

  @Get()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('live')
  @HealthCheck()
  alive() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.probe('postgres', () => this.repository.ping()),
      () => this.probe('redis', async () => void (await ((await this.queues.queue(QueueName.Settlement).client) as unknown as { ping(): Promise<string> }).ping())),
      ...this.config.networks.map((n) => () => this.probe(`rpc:${n.network}`, async () => ({ blockNumber: (await this.chains.get(n.network).getBlockNumber()).toString() }))),
      () => this.probe('relayers', () => this.relayers()),
      ...(this.loops.length ? [() => this.probe('loops', async () => this.loopsCheck())] : []),
    ]);
  }

  /** Throws naming every wedged relayer; otherwise the gaps being filled. A relayer whose nonce cannot be read is left to `rpc:`. */
  private async relayers(): Promise<Record<string, unknown>> {
    const gaps = await readRelayerNonceGaps(this.dataSource, this.chains, this.config, CHECK_TIMEOUT_MS);
    const wedged = gaps.filter((g) => g.wedged);
    if (wedged.length) throw new Error(wedged.map(wedgedMessage).join('; '));
    return { gaps: gaps.filter((g) => g.gap > 0).map((g) => ({ network: g.network, relayer: g.address, gap: g.gap })) };
  }

  private loopsCheck(): Record<string, unknown> {
    const stopped = this.loops.filter((l) => !l.running).map((l) => l.name);
    if (stopped.length) throw new Error(`stopped: ${stopped.join(', ')}`);
    return { running: this.loops.map((l) => l.name) };
  }

  private async probe(key: string, fn: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const i = this.indicator.check(key);
    try {
      const r = await withTimeout(fn());
      return i.up(typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : undefined);
    } catch (e) {
      return i.down({ message: (e as Error).message });
    }
  }
}
