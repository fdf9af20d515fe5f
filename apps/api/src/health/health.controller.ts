import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { LaneStatsRepository } from '@tollgate/persistence';
import { readRelayerNonceGaps, wedgedMessage } from '@tollgate/settlement';
import { laneHealthThresholds } from '../admin/lane-health';
import { laneStats } from '../admin/lane-stats';
import { REDIS } from '../core.module';
import { SettlementSignals } from './settlement-signals';

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref())]);
}

/**
 * `GET /health` (liveness: the process answers) and `GET /health/ready` (Postgres, Redis, RPC per network,
 * and `relayers`: down while a relayer is wedged behind a nonce gap older than RELAYER_WEDGED_AFTER_MS —
 * /settle would keep answering success for payments that cannot be settled). Relayers are read by address
 * from Postgres; the API needs no relayer key for it.
 *
 * `GET /health/settlement` is separate on purpose: `workers` (down when no worker heartbeat is younger than
 * WORKER_STALE_AFTER_SECONDS) and `lanes` (down when a lane is stalled: its oldest queued payment is past
 * the red threshold of lane-health.ts). A missing worker is not the API's fault and restarting the API
 * cannot fix it; failing `/health/ready` would take every API replica out of the load balancer at once
 * and stop `/verify` and `/supported` too. Alert on this endpoint (or the metrics), don't route on it.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: IORedis,
    private readonly chains: ChainClients,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly signals: SettlementSignals,
    private readonly lanes: LaneStatsRepository,
  ) {}

  @Get()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.probe('postgres', async () => void (await this.dataSource.query('SELECT 1'))),
      () => this.probe('redis', async () => void (await this.redis.ping())),
      ...this.config.networks.map((n) => () => this.probe(`rpc:${n.network}`, async () => ({ blockNumber: (await this.chains.get(n.network).getBlockNumber()).toString() }))),
      () =>
        this.probe('relayers', async () => {
          const gaps = await readRelayerNonceGaps(this.dataSource, this.chains, this.config, TIMEOUT_MS);
          const wedged = gaps.filter((g) => g.wedged);
          if (wedged.length) throw new Error(wedged.map(wedgedMessage).join('; '));
          return { gaps: gaps.filter((g) => g.gap > 0).map((g) => ({ network: g.network, relayer: g.address, gap: g.gap })) };
        }),
    ]);
  }

  @Get('settlement')
  @HealthCheck()
  settlement() {
    return this.health.check([
      () =>
        this.probe('workers', async () => {
          const w = await this.signals.workers();
          const seen = w.lastSeenAgeSeconds === null ? 'no worker heartbeat was ever recorded' : `last worker heartbeat ${Math.round(w.lastSeenAgeSeconds)} s ago`;
          if (w.stale) throw new Error(`no worker seen in the last ${w.staleAfterSeconds} s (${seen}): queued payments are not being settled`);
          return { live: w.live, lastSeenSeconds: w.lastSeenAgeSeconds };
        }),
      () =>
        this.probe('lanes', async () => {
          const lanes = await laneStats(this.lanes, this.config);
          const stalled = lanes.filter((l) => l.health === 'stalled');
          const { stalledAfterSeconds } = laneHealthThresholds(this.config.settlement.maxWaitMs);
          if (stalled.length) {
            throw new Error(stalled.map((l) => `lane ${l.network} ${l.symbol ?? l.asset}: oldest queued payment waited ${Math.round(l.oldestQueuedAgeSeconds)} s (stalled after ${stalledAfterSeconds} s)${svmDeadlineNote(l)}`).join('; '));
          }
          return { slow: lanes.filter((l) => l.health === 'slow').map((l) => ({ network: l.network, asset: l.asset, oldestQueuedSeconds: Math.round(l.oldestQueuedAgeSeconds) })) };
        }),
    ]);
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

/** A Solana lane also turns red near its earliest blockhash deadline (svm-lane-health.ts): say how near. */
function svmDeadlineNote(l: { family: string; earliestDeadline: Date | null }): string {
  if (l.family !== 'svm' || !l.earliestDeadline) return '';
  return `, earliest blockhash deadline in ${Math.round((l.earliestDeadline.getTime() - Date.now()) / 1000)} s`;
}
