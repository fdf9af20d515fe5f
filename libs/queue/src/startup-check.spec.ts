import { JobName, QueueName } from './catalogue';
import { assertJobHandlers } from './startup-check';

const handler = async (): Promise<void> => undefined;

describe('assertJobHandlers (a worker start-up check against the job catalogue)', () => {
  const settlement = {
    [JobName.PaymentQueued]: handler,
    [JobName.LaneFlush]: handler,
    [JobName.BatchSubmit]: handler,
    [JobName.BatchTrack]: handler,
    [JobName.Sweep]: handler,
  };

  it('accepts exactly one handler per job of the queue', () => {
    expect(() => assertJobHandlers(QueueName.Settlement, settlement)).not.toThrow();
    expect(() => assertJobHandlers(QueueName.Webhooks, { [JobName.WebhookDeliver]: handler })).not.toThrow();
  });

  it('refuses a queue with a job that has no handler, naming the job', () => {
    const { [JobName.BatchTrack]: _gone, ...rest } = settlement;
    expect(() => assertJobHandlers(QueueName.Settlement, rest)).toThrow('queue settlement: no handler for job(s): batch-track');
    expect(() => assertJobHandlers(QueueName.Webhooks, {})).toThrow('queue webhooks: no handler for job(s): webhook-deliver');
  });

  it('refuses a handler that is not a function', () => {
    expect(() => assertJobHandlers(QueueName.Settlement, { ...settlement, [JobName.Sweep]: undefined })).toThrow(/no handler for job\(s\): sweep/);
  });

  it('refuses a second handler for a job of another queue, naming both', () => {
    expect(() => assertJobHandlers(QueueName.Settlement, { ...settlement, [JobName.WebhookDeliver]: handler })).toThrow(
      'queue settlement: handler(s) for job(s) it does not serve: webhook-deliver (a webhooks job, so it would have two handlers)',
    );
  });

  it('refuses a handler for a job the catalogue does not know', () => {
    expect(() => assertJobHandlers(QueueName.Webhooks, { [JobName.WebhookDeliver]: handler, 'webhook-replay': handler })).toThrow(/webhook-replay \(not in the catalogue\)/);
  });
});
