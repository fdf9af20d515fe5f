import { Global, Module } from '@nestjs/common';
import { LaneStatsRepository, MetricsSnapshotRepository, WorkerHeartbeatsRepository } from '@tollgate/persistence';
import { repositoryProviders } from '../admin/repository-providers';
import { SettlementSignals } from '../health/settlement-signals';
import { ApiMetrics } from './api-metrics';
import { MetricsController } from './metrics.controller';

/**
 * The API's Prometheus registry (global: the facilitator records verify/settle outcomes in it) and the
 * settlement signals (worker heartbeats) that metrics, `/health/settlement` and the console share.
 */
@Global()
@Module({
  providers: [...repositoryProviders(LaneStatsRepository, MetricsSnapshotRepository, WorkerHeartbeatsRepository), SettlementSignals, ApiMetrics],
  controllers: [MetricsController],
  exports: [ApiMetrics, SettlementSignals],
})
export class MetricsModule {}
