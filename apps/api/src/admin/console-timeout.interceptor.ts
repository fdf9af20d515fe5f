import { CallHandler, ExecutionContext, Injectable, NestInterceptor, ServiceUnavailableException } from '@nestjs/common';
import { catchError, Observable, throwError } from 'rxjs';
import { ConsoleQueryTimeoutError } from '@tollgate/persistence';

/** What the operator reads when a console read ran out of time (page and JSON alike). */
export const CONSOLE_BUSY_MESSAGE = 'The console is busy: this view took longer than ADMIN_STATEMENT_TIMEOUT_MS allows. Narrow the filters or try again shortly.';

/**
 * Turns a console read cancelled by its statement timeout into a 503 with a clear message (the page filter
 * renders it in the console layout, the JSON filter as `{ statusCode: 503, … }`), never a 500.
 */
@Injectable()
export class ConsoleTimeoutInterceptor implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(catchError((e: unknown) => throwError(() => (e instanceof ConsoleQueryTimeoutError ? new ServiceUnavailableException(CONSOLE_BUSY_MESSAGE) : e))));
  }
}
