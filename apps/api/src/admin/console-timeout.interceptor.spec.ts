import { ExecutionContext, HttpException } from '@nestjs/common';
import { lastValueFrom, throwError } from 'rxjs';
import { ConsoleQueryTimeoutError } from '@tollgate/persistence';
import { CONSOLE_BUSY_MESSAGE, ConsoleTimeoutInterceptor } from './console-timeout.interceptor';

describe('ConsoleTimeoutInterceptor', () => {
  const run = (e: unknown) => lastValueFrom(new ConsoleTimeoutInterceptor().intercept({} as ExecutionContext, { handle: () => throwError(() => e) }));

  it('answers a console read past its statement timeout with a 503 that says so', async () => {
    const err = await run(new ConsoleQueryTimeoutError(2000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpException);
    expect((err as HttpException).getStatus()).toBe(503);
    expect((err as HttpException).message).toBe(CONSOLE_BUSY_MESSAGE);
  });

  it('leaves every other error as it was', async () => {
    const other = new Error('boom');
    await expect(run(other)).rejects.toBe(other);
  });
});
