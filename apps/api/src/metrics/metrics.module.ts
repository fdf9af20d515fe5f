import { Global, Module } from '@nestjs/common';
import { LaneStatsRepository, MetricsSnapshotRepository } from '@tollgate/persistence';
import { repositoryProviders } from '../admin/repository-providers';
import { ApiMetrics } from './api-metrics';
import { MetricsController } from './metrics.controller';

/** The API's Prometheus registry (global: the facilitator records verify/settle outcomes in it). */
@Global()
@Module({ providers: [...repositoryProviders(LaneStatsRepository, MetricsSnapshotRepository), ApiMetrics], controllers: [MetricsController], exports: [ApiMetrics] })
export class MetricsModule {}
