import fc from 'fast-check';
import { MAX_RETRY_AFTER_MS, nextAttempt, parseRetryAfter, scheduleSpanMs } from './retry-schedule';
import { loadConfig } from '@tollgate/config';

describe('retry schedule', () => {
  const schedule = loadConfig({ NODE_ENV: 'test', DEVCHAIN_FILE: '' }).webhooks.retryScheduleMs;

  it('defaults to immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about a day', () => {
    expect(schedule).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const hours = scheduleSpanMs(schedule) / 3_600_000;
    expect(hours).toBeGreaterThan(24);
    expect(hours).toBeLessThan(30);
  });

  it('after attempt n waits schedule[n], and stops once the schedule is spent', () => {
    expect(nextAttempt(schedule, 1)).toEqual({ retry: true, delayMs: 5_000 });
    expect(nextAttempt(schedule, 2)).toEqual({ retry: true, delayMs: 300_000 });
    expect(nextAttempt(schedule, 7)).toEqual({ retry: true, delayMs: 36_000_000 });
    expect(nextAttempt(schedule, 8)).toEqual({ retry: false });
  });

  it('Retry-After can only lengthen the wait', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.option(fc.integer({ min: 0, max: MAX_RETRY_AFTER_MS })), (n, ra) => {
        const d = nextAttempt(schedule, n, ra);
        expect(d.retry).toBe(true);
        if (d.retry) expect(d.delayMs).toBe(Math.max(schedule[n], ra ?? 0));
      }),
    );
  });

  it('parses Retry-After as seconds or an HTTP date, capped at a day', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('configuration rejects a malformed schedule, naming the variable', () => {
    expect(() => loadConfig({ DEVCHAIN_FILE: '', WEBHOOK_RETRY_SCHEDULE_MS: '0,5s' })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
    expect(loadConfig({ DEVCHAIN_FILE: '', WEBHOOK_RETRY_SCHEDULE_MS: '0, 200,400' }).webhooks.retryScheduleMs).toEqual([0, 200, 400]);
  });
});
