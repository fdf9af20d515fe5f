import { assertEveryJobHandledOnce, JOB_QUEUE, jobIdFor, JobName, jobsOn, QueueName } from './catalogue';

describe('job catalogue', () => {
  const byQueue = Object.values(QueueName).map((q) => jobsOn(q));

  it('every job lives on exactly one queue', () => {
    expect(byQueue.flat().sort()).toEqual(Object.values(JobName).sort());
  });

  it('the start-up check accepts one handler per job and names what is missing or doubled', () => {
    expect(() => assertEveryJobHandledOnce(byQueue)).not.toThrow();
    const withoutVoid = byQueue.map((names) => names.filter((n) => n !== JobName.OperatorPaymentVoid));
    expect(() => assertEveryJobHandledOnce(withoutVoid)).toThrow(`no handler for ${JobName.OperatorPaymentVoid}`);
    expect(() => assertEveryJobHandledOnce([...byQueue, [JobName.OperatorBatchReplace]])).toThrow(`several handlers for ${JobName.OperatorBatchReplace}`);
  });

  it('operator actions run on their own queue, one job per action (payload: the action id only)', () => {
    for (const n of [JobName.OperatorPaymentRetry, JobName.OperatorPaymentVoid, JobName.OperatorBatchReplace]) {
      expect(JOB_QUEUE[n]).toBe(QueueName.OperatorActions);
      expect(jobIdFor(n, { actionId: 'a1' })).toBe('action-a1');
    }
  });
});
