import { Body, Controller, Get, HttpException, Inject, Param, Post, Query, Req, Res, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { PAYMENT_STATUSES } from '@tollgate/persistence';
import { listReasonCodes } from '@tollgate/protocol';
import { AdminActionsService } from './admin-actions.service';
import { AdminAuditService } from './admin-audit.service';
import { AdminQueriesService } from './admin-queries.service';
import { ConsoleTimeoutInterceptor } from './console-timeout.interceptor';
import { AdminPageFilter, AdminPageResponder, messageOf, requestId } from './admin-page-responder';
import { AdminAuthGuard, AdminRequest, AdminRoleRequired } from './auth/admin-auth.guard';
import { WorkerBannerInterceptor } from './worker-banner.interceptor';
import { ActionablePayment, offeredActions } from './payment-actions';
import { parseInput } from '../merchant-api/validation';
import { assetParam, auditQuery, batchesQuery, createMerchantBody, deliveriesQuery, failuresQuery, idParam, issueMerchantKeyBody, networkParam, paymentRefParam, paymentsQuery, reasonBody } from './admin-input';

/** The overview reloads itself this often (meta refresh), so a wall screen follows the lanes. */
export const OVERVIEW_REFRESH_SECONDS = 30;

/** Deliveries per page of the console's webhooks list. */
export const WEBHOOK_PAGE_SIZE = 100;

/**
 * The operator console: server-rendered pages under `/admin` (overview, payments, batches, failures,
 * webhooks, merchants, audit log) and their form actions. Reads need any admin; actions need the
 * operator role and the session's CSRF token ({@link AdminAuthGuard}). Every page shows a banner when no
 * worker has been seen for WORKER_STALE_AFTER_SECONDS ({@link WorkerBannerInterceptor}). Sign-in and the stylesheets are
 * {@link AdminSignInController}.
 */
@ApiExcludeController()
@Controller('admin')
@UseGuards(AdminAuthGuard)
@UseInterceptors(ConsoleTimeoutInterceptor)
@UseFilters(AdminPageFilter)
@UseInterceptors(WorkerBannerInterceptor)
export class AdminPagesController {
  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly queries: AdminQueriesService,
    private readonly actions: AdminActionsService,
    private readonly audit: AdminAuditService,
    private readonly page: AdminPageResponder,
  ) {}

  @Get()
  async overview(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    this.page.send(req, res, 'overview', 'Overview', 'overview', { ...(await this.queries.overview()), canAct: this.page.canAct(req), refreshSeconds: OVERVIEW_REFRESH_SECONDS });
  }

  @Get('payments')
  async payments(@Req() req: AdminRequest, @Res() res: Response, @Query() query: Record<string, string>): Promise<void> {
    const filter = { ...parseInput(paymentsQuery, query, 'query'), limit: 50 };
    const result = await this.queries.payments(filter);
    // Validated above: every known key is a single string; unknown keys are not echoed into links.
    const q = query;
    const raw = Object.fromEntries(Object.entries(q).filter(([k, v]) => k in paymentsQuery.shape && k !== 'offset' && k !== 'limit' && v));
    this.page.send(req, res, 'payments', 'Payments', 'payments', {
      ...result,
      f: { ...filter, raw, fromInput: q.from ?? '', toInput: q.to ?? '' },
      statuses: PAYMENT_STATUSES,
      reasons: listReasonCodes().filter((r) => r.source !== 'spec').map((r) => r.code),
      networks: [...this.config.networks, ...(this.config.solanaNetworks ?? [])].map((n) => n.network),
      decimals: this.page.decimals,
      token: this.page.token,
    });
  }

  @Get('payments/:ref')
  async payment(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    const d = await this.queries.payment(ref);
    if (!d) return this.page.notFound(req, res, `No payment ${ref}.`);
    const audit = await this.audit.list({ targetType: 'payment', targetId: d.payment.reference, limit: 50 });
    const window = this.config.networks.find((n) => n.network === d.payment.network)?.settlementWindowSeconds ?? null;
    const offered = offeredActions(d.payment as unknown as ActionablePayment, window);
    this.page.send(req, res, 'payment', `Payment ${d.payment.reference}`, 'payments', { d, audit, canAct: this.page.canAct(req), offered, decimals: this.page.decimals, token: this.page.token });
  }

  @Post('payments/:ref/retry')
  @AdminRoleRequired('operator')
  async retry(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    return this.page.act(res, `/admin/payments/${encodeURIComponent(ref)}`, () => this.actions.retry(req.admin!, ref, requestId(req)));
  }

  @Post('payments/:ref/void')
  @AdminRoleRequired('operator')
  async void(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string, @Body() body: unknown): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    const { reason } = parseInput(reasonBody, body);
    return this.page.act(res, `/admin/payments/${encodeURIComponent(ref)}`, () => this.actions.void(req.admin!, ref, reason ?? '', requestId(req)));
  }

  @Post('lanes/:network/:asset/pause')
  @AdminRoleRequired('operator')
  async pause(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string, @Body() body: unknown): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    const { reason } = parseInput(reasonBody, body);
    return this.page.act(res, '/admin', () => this.actions.pauseLane(req.admin!, network, asset, reason, requestId(req)));
  }

  @Post('lanes/:network/:asset/resume')
  @AdminRoleRequired('operator')
  async resume(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    return this.page.act(res, '/admin', () => this.actions.resumeLane(req.admin!, network, asset, requestId(req)));
  }

  @Post('lanes/:network/:asset/flush')
  @AdminRoleRequired('operator')
  async flush(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    return this.page.act(res, '/admin', () => this.actions.flushLane(req.admin!, network, asset, requestId(req)));
  }

  @Get('batches')
  async batches(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const { status, offset } = parseInput(batchesQuery, query, 'query');
    const rows = await this.queries.batches({ status, offset, limit: 50 });
    this.page.send(req, res, 'batches', 'Batches', 'batches', { rows, status: status ?? '', offset });
  }

  @Get('batches/:id')
  async batch(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    const d = await this.queries.batch(id);
    if (!d) return this.page.notFound(req, res, `No batch ${id}.`);
    const audit = await this.audit.list({ targetType: 'batch', targetId: id, limit: 50 });
    this.page.send(req, res, 'batch', 'Batch', 'batches', { d, audit, canAct: this.page.canAct(req), decimals: this.page.decimals, token: this.page.token });
  }

  @Post('batches/:id/replace')
  @AdminRoleRequired('operator')
  async replace(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.page.act(res, `/admin/batches/${encodeURIComponent(id)}`, () => this.actions.replaceBatch(req.admin!, id, requestId(req)));
  }

  @Get('failures')
  async failures(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    this.page.send(req, res, 'failures', 'Failures', 'failures', await this.queries.failures(parseInput(failuresQuery, query, 'query').hours));
  }

  @Get('webhooks')
  async webhooks(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const available = await this.queries.hasWebhookTables();
    const { merchant, endpoint, status, before } = parseInput(deliveriesQuery, query, 'query');
    const f = { merchant, endpoint, status };
    // Keyset pages of WEBHOOK_PAGE_SIZE: one row more tells whether an older page exists.
    const fetched = available ? await this.queries.webhookDeliveries({ ...f, before, limit: WEBHOOK_PAGE_SIZE + 1 }) : [];
    const rows = fetched.slice(0, WEBHOOK_PAGE_SIZE);
    const last = rows[rows.length - 1];
    const older = fetched.length > WEBHOOK_PAGE_SIZE && last ? `${last.page_key_at}_${last.id}` : null;
    const merchants = await this.queries.merchants();
    const failing = await this.queries.failingEndpoints();
    this.page.send(req, res, 'webhooks', 'Webhook deliveries', 'webhooks', {
      available,
      rows,
      f,
      paged: before !== undefined,
      older,
      merchants,
      failing,
      canAct: this.page.canAct(req),
      canReplay: available,
    });
  }

  @Post('webhooks/deliveries/:id/replay')
  @AdminRoleRequired('operator')
  async replay(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.page.act(res, '/admin/webhooks', () => this.actions.replayDelivery(req.admin!, id, requestId(req)));
  }

  @Get('merchants')
  async merchants(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    this.page.send(req, res, 'merchants', 'Merchants', 'merchants', { rows: await this.queries.merchants(), canAct: this.page.canAct(req) });
  }

  @Post('merchants')
  @AdminRoleRequired('operator')
  async createMerchant(@Req() req: AdminRequest, @Res() res: Response, @Body() body: unknown): Promise<void> {
    try {
      const created = await this.actions.createMerchant(req.admin!, parseInput(createMerchantBody, body), requestId(req));
      const m = await this.queries.merchant(created.merchantId);
      // The key is rendered into this one response and never stored in clear: no redirect, no flash.
      res.set('cache-control', 'no-store');
      this.page.send(req, res, 'merchant', m!.merchant.name, 'merchants', { m, apiKey: created.apiKey, canAct: this.page.canAct(req) }, { notice: created.message });
    } catch (e) {
      if (e instanceof HttpException && e.getStatus() < 500) return this.page.flashRedirect(res, '/admin/merchants', { error: messageOf(e) });
      throw e;
    }
  }

  @Get('merchants/:id')
  async merchant(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    const m = await this.queries.merchant(id);
    if (!m) return this.page.notFound(req, res, `No merchant ${id}.`);
    this.page.send(req, res, 'merchant', m.merchant.name, 'merchants', { m, apiKey: null, canAct: this.page.canAct(req) });
  }

  @Post('merchants/:id/suspend')
  @AdminRoleRequired('operator')
  async suspend(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.page.act(res, `/admin/merchants/${encodeURIComponent(id)}`, () => this.actions.setMerchantStatus(req.admin!, id, 'suspended', requestId(req)));
  }

  @Post('merchants/:id/activate')
  @AdminRoleRequired('operator')
  async activate(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.page.act(res, `/admin/merchants/${encodeURIComponent(id)}`, () => this.actions.setMerchantStatus(req.admin!, id, 'active', requestId(req)));
  }

  @Post('merchants/:id/api-keys')
  @AdminRoleRequired('operator')
  async issueMerchantKey(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string, @Body() body: unknown): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    try {
      const issued = await this.actions.issueMerchantKey(req.admin!, id, parseInput(issueMerchantKeyBody, body), requestId(req));
      const m = await this.queries.merchant(id);
      // As at creation: the key is rendered into this one response, never stored in clear, redirected or flashed.
      res.set('cache-control', 'no-store');
      this.page.send(req, res, 'merchant', m!.merchant.name, 'merchants', { m, apiKey: issued.apiKey, canAct: this.page.canAct(req) }, { notice: issued.message });
    } catch (e) {
      if (e instanceof HttpException && e.getStatus() < 500) return this.page.flashRedirect(res, `/admin/merchants/${encodeURIComponent(id)}`, { error: messageOf(e) });
      throw e;
    }
  }

  @Get('audit')
  async auditLog(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const o = parseInput(auditQuery, query, 'query').offset;
    this.page.send(req, res, 'audit', 'Audit log', 'audit', { rows: await this.audit.list({ limit: 100, offset: o }), offset: o });
  }
}
