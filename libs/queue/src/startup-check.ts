import { JOB_QUEUE, JobName, jobsOn, QueueName } from './catalogue';

/**
 * A worker's start-up check against the catalogue: every job the catalogue puts on `queue` has a handler in
 * `handlers`, and `handlers` serves nothing else — a handler for a job of another queue would be a second
 * handler for that job (its own queue's worker has one), and a name outside the catalogue is never enqueued.
 * A worker that fails this check refuses to start rather than leaving jobs unserved or served twice.
 *
 * @throws Error naming the queue and the offending job names.
 */
export function assertJobHandlers(queue: QueueName, handlers: Readonly<Record<string, unknown>>): void {
  const missing = jobsOn(queue).filter((n) => typeof handlers[n] !== 'function');
  if (missing.length) throw new Error(`queue ${queue}: no handler for job(s): ${missing.join(', ')}`);
  const foreign = Object.keys(handlers).filter((n) => JOB_QUEUE[n as JobName] !== queue);
  if (foreign.length) {
    const where = foreign.map((n) => (n in JOB_QUEUE ? `${n} (a ${JOB_QUEUE[n as JobName]} job, so it would have two handlers)` : `${n} (not in the catalogue)`));
    throw new Error(`queue ${queue}: handler(s) for job(s) it does not serve: ${where.join(', ')}`);
  }
}
