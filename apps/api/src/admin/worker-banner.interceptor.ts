import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, from, switchMap } from 'rxjs';
import { SettlementSignals, WorkerSignal } from '../health/settlement-signals';

/** A console request carrying the worker signal read for its page's banner. */
type WithWorkerSignal = { workerSignal?: WorkerSignal };

/** The worker signal read for this request by {@link WorkerBannerInterceptor}, if any. */
export function workerSignalOf(req: object): WorkerSignal | undefined {
  return (req as WithWorkerSignal).workerSignal;
}

/**
 * Reads the worker heartbeats once per console page request (one small query) so every page's layout can
 * show the "no worker seen" banner. A failed read shows no banner rather than failing the page.
 */
@Injectable()
export class WorkerBannerInterceptor implements NestInterceptor {
  constructor(private readonly signals: SettlementSignals) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<WithWorkerSignal & { method: string }>();
    if (req.method !== 'GET') return next.handle();
    return from(this.signals.workers().catch(() => undefined)).pipe(
      switchMap((signal) => {
        req.workerSignal = signal;
        return next.handle();
      }),
    );
  }
}
