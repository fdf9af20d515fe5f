import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients, ExactEvmVerifier } from '@tollgate/evm';
import { createDataSource, PaymentLedger } from '@tollgate/persistence';
import { JobQueues, redisConnection } from '@tollgate/queue';

export const REDIS = Symbol('REDIS');

/** Infrastructure every API feature shares: Postgres, Redis producer, chain clients, verifier, ledger. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [TOLLGATE_CONFIG],
      useFactory: async (c: TollgateConfig) =>
        createDataSource({ databaseUrl: c.databaseUrl, poolSize: c.databasePoolSize, applicationName: 'tollgate-api' }).initialize(),
    },
    { provide: REDIS, inject: [TOLLGATE_CONFIG], useFactory: (c: TollgateConfig) => redisConnection(c.redisUrl, 'producer') },
    { provide: JobQueues, inject: [REDIS, TOLLGATE_CONFIG], useFactory: (r: IORedis, c: TollgateConfig) => new JobQueues(r, c.queuePrefix) },
    { provide: ChainClients, inject: [TOLLGATE_CONFIG], useFactory: (c: TollgateConfig) => new ChainClients(c.networks) },
    { provide: ExactEvmVerifier, inject: [ChainClients], useFactory: (clients: ChainClients) => new ExactEvmVerifier(clients) },
    { provide: PaymentLedger, inject: [DataSource], useFactory: (ds: DataSource) => new PaymentLedger(ds) },
  ],
  exports: [DataSource, REDIS, JobQueues, ChainClients, ExactEvmVerifier, PaymentLedger],
})
export class CoreModule implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: IORedis,
    private readonly queues: JobQueues,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close().catch(() => undefined);
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
