import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients, ExactEvmVerifier } from '@tollgate/evm';
import { createDataSource, PaymentLedger } from '@tollgate/persistence';
import { NetworkDirectory } from '@tollgate/protocol';
import { JobQueues, redisConnection } from '@tollgate/queue';
import { networkDirectoryFor } from './registry';

export const REDIS = Symbol('REDIS');

/**
 * Connections for recording accepted payments (`tollgate_accept_payment`). A pool of their own so that accept
 * statements (one per event-loop turn, see AcceptBatcher in libs/persistence) never wait behind the main pool's work.
 * Commits are synchronous, as everywhere: a `verified` payment is on disk before `/verify` answers (issue #16
 * "keep full durability"; until round 2 this pool committed asynchronously, which could forget the last
 * verifications on a database crash). Group commit keeps the cost down: one statement, one WAL flush, carries
 * every accept of a turn.
 */
export const ACCEPT_POOL = Symbol('ACCEPT_POOL');

/**
 * Infrastructure every API feature shares: Postgres, Redis producer, chain clients, verifier, ledger, and the
 * directory of served networks and tokens (built from configuration).
 */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [TOLLGATE_CONFIG],
      useFactory: async (c: TollgateConfig) =>
        createDataSource({ databaseUrl: c.databaseUrl, poolSize: c.databasePoolSize, applicationName: 'tollgate-api' }).initialize(),
    },
    {
      provide: ACCEPT_POOL,
      inject: [TOLLGATE_CONFIG],
      useFactory: (c: TollgateConfig) => {
        const pool = new Pool({
          connectionString: c.databaseUrl,
          max: c.databasePoolSize,
          application_name: 'tollgate-api-accept',
          connectionTimeoutMillis: 5000,
        });
        // An idle connection killed by the server (restart, failover) must not crash the process: the
        // pool drops it and the next query opens a new one.
        pool.on('error', () => undefined);
        return pool;
      },
    },
    { provide: REDIS, inject: [TOLLGATE_CONFIG], useFactory: (c: TollgateConfig) => redisConnection(c.redisUrl, 'producer') },
    { provide: JobQueues, inject: [REDIS, TOLLGATE_CONFIG], useFactory: (r: IORedis, c: TollgateConfig) => new JobQueues(r, c.queuePrefix) },
    { provide: ChainClients, inject: [TOLLGATE_CONFIG], useFactory: (c: TollgateConfig) => new ChainClients(c.networks) },
    { provide: ExactEvmVerifier, inject: [ChainClients], useFactory: (clients: ChainClients) => new ExactEvmVerifier(clients) },
    { provide: PaymentLedger, inject: [DataSource, ACCEPT_POOL], useFactory: (ds: DataSource, acceptPool: Pool) => new PaymentLedger(ds, acceptPool) },
    { provide: NetworkDirectory, inject: [TOLLGATE_CONFIG], useFactory: networkDirectoryFor },
  ],
  exports: [DataSource, ACCEPT_POOL, REDIS, JobQueues, ChainClients, ExactEvmVerifier, PaymentLedger, NetworkDirectory],
})
export class CoreModule implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: IORedis,
    private readonly queues: JobQueues,
    @Inject(ACCEPT_POOL) private readonly acceptPool: Pool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close().catch(() => undefined);
    this.redis.disconnect();
    await this.acceptPool.end().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
