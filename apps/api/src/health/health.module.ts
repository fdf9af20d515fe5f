import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LaneStatsRepository } from '@tollgate/persistence';
import { repositoryProviders } from '../admin/repository-providers';
import { HealthController } from './health.controller';

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: repositoryProviders(LaneStatsRepository) })
export class HealthModule {}
