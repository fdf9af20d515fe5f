import { Queue } from 'bullmq';
import IORedis, { RedisOptions } from 'ioredis';
import { JOB_DEFAULTS, JOB_QUEUE, jobIdFor, JobName, JobPayloads, QueueName } from './catalogue';

/**
 * Redis connection options BullMQ needs: workers block on Redis, so `maxRetriesPerRequest` must be null.
 * Enqueuers fail fast instead (`enableOfflineQueue: false`) so an unreachable Redis never stalls a request;
 * the sweeper re-derives any job that was not enqueued.
 */
export function redisConnection(url: string, role: 'worker' | 'producer'): IORedis {
  const opts: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  return new IORedis(url, { ...opts, lazyConnect: false });
}

/** Typed producer for every queue of the catalogue. */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: IORedis,
    private readonly prefix: string,
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Enqueues one job with the catalogue's default options. */
  async add<N extends JobName>(name: N, payload: JobPayloads[N], opts: { delay?: number; jobId?: string } = {}): Promise<void> {
    const jobId = opts.jobId ?? jobIdFor(name, payload);
    await this.queue(JOB_QUEUE[name]).add(name, payload, { ...JOB_DEFAULTS[name], ...opts, ...(jobId ? { jobId } : {}) });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
