import { Inject, Module, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BULL_BOARD_INSTANCE, BullBoardInstance, BullBoardModule } from '@bull-board/nestjs';
import type { NextFunction, Request, Response } from 'express';
import { DataSource } from 'typeorm';
import {
  AdminActionsRepository,
  AdminAuditRepository,
  ApiKeyRepository,
  ConsoleBatchesRepository,
  ConsoleMerchantsRepository,
  ConsoleOverviewRepository,
  ConsolePaymentsRepository,
  ConsoleSvmRepository,
  LaneStatsRepository,
  WebhookEndpointHealthRepository,
} from '@tollgate/persistence';
import { JobQueues, QueueName } from '@tollgate/queue';
import { WebhookDispatcher } from '@tollgate/webhooks';
import { MerchantsModule } from '../merchants/merchants.module';
import { AdminActionsService } from './admin-actions.service';
import { AdminApiController } from './admin-api.controller';
import { AdminNotFoundController } from './admin-not-found.controller';
import { AdminAuditService } from './admin-audit.service';
import { AdminPageFilter, AdminPageResponder } from './admin-page-responder';
import { AdminPagesController } from './admin-pages.controller';
import { AdminSignInController } from './admin-sign-in.controller';
import { AdminQueriesService } from './admin-queries.service';
import { identifyAdmin } from './auth/admin-auth.guard';
import { AdminAuthModule } from './auth/admin-auth.module';
import { AdminAuthService } from './auth/admin-auth.service';
import { consoleRepositoryProviders, repositoryProviders } from './repository-providers';
import { MerchantKeyIssuer } from './merchant-key-issuer';
import { SvmConsoleService } from './svm-console.service';
import { AdminViews } from './views/admin-views';

/** Where Bull Board is mounted (behind the admin identity check). */
export const BULL_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board sits behind the same admin identities as the console and is read-only: jobs are only nudges
 * (Postgres is the truth), so retrying or deleting them by hand would act outside the audit log — every
 * action goes through the console instead. Non-GET requests are refused here as well as in its UI.
 */
function bullBoardGate(auth: AdminAuthService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    identifyAdmin(auth, req).then(
      (admin) => {
        if (!admin) {
          if (req.method === 'GET' && !req.originalUrl.includes('/api/')) return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
          res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'sign in at /admin/login' });
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.status(405).json({ statusCode: 405, error: 'Method Not Allowed', message: 'the queue view is read-only; act from the console' });
          return;
        }
        next();
      },
      (e: unknown) => {
        if (e instanceof UnauthorizedException) res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: e.message });
        else next(e);
      },
    );
  };
}

/**
 * The operator console (`/admin`), the admin API (`/admin/api`) and Bull Board (`/admin/queues`). Nothing
 * here holds relayer keys: actions on the settlement pipeline are requests the worker carries out.
 */
@Module({
  imports: [
    AdminAuthModule,
    MerchantsModule,
    BullBoardModule.forRootAsync({
      imports: [AdminAuthModule],
      inject: [AdminAuthService],
      useFactory: (auth: AdminAuthService) => ({
        route: BULL_BOARD_ROUTE,
        adapter: ExpressAdapter,
        middleware: bullBoardGate(auth),
        boardOptions: {
          uiConfig: {
            boardTitle: 'Tollgate queues',
            // Back to the console, where every action is taken (this view is read-only).
            miscLinks: [{ text: 'Operator console', url: '/admin' }],
            // UTC, as the console and the logs show times (not the browser's zone), with the zone named.
            dateFormats: {
              short: { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
              common: { timeZone: 'UTC', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
              full: { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
            },
          },
        },
      }),
    }),
  ],
  // AdminNotFoundController last: it answers every /admin path the others do not.
  controllers: [AdminSignInController, AdminPagesController, AdminApiController, AdminNotFoundController],
  providers: [
    ...repositoryProviders(AdminAuditRepository, AdminActionsRepository, ApiKeyRepository),
    {
      provide: MerchantKeyIssuer,
      inject: [DataSource, AdminActionsRepository, ApiKeyRepository, AdminAuditService],
      useFactory: (ds: DataSource, merchants: AdminActionsRepository, keys: ApiKeyRepository, audit: AdminAuditService) => new MerchantKeyIssuer(ds, merchants, keys, audit),
    },
    ...consoleRepositoryProviders(
      LaneStatsRepository,
      ConsoleOverviewRepository,
      ConsolePaymentsRepository,
      ConsoleBatchesRepository,
      ConsoleMerchantsRepository,
      WebhookEndpointHealthRepository,
      ConsoleSvmRepository,
    ),
    AdminAuditService,
    SvmConsoleService,
    AdminQueriesService,
    AdminActionsService,
    AdminViews,
    AdminPageFilter,
    AdminPageResponder,
    { provide: WebhookDispatcher, inject: [DataSource, JobQueues], useFactory: (ds: DataSource, q: JobQueues) => new WebhookDispatcher(ds, q) },
  ],
})
export class AdminModule implements OnModuleInit {
  constructor(
    @Inject(BULL_BOARD_INSTANCE) private readonly board: BullBoardInstance,
    private readonly queues: JobQueues,
  ) {}

  /** Every queue of the catalogue appears in Bull Board (new queues show up without code here). */
  onModuleInit(): void {
    for (const name of Object.values(QueueName)) {
      this.board.addQueue(new BullMQAdapter(this.queues.queue(name), { readOnlyMode: true, allowRetries: false }));
    }
  }
}
