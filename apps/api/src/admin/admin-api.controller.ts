import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminActionsService } from './admin-actions.service';
import { AdminAuditService } from './admin-audit.service';
import { AdminQueriesService } from './admin-queries.service';
import { AdminAuthGuard, AdminRequest, AdminRoleRequired, CurrentAdmin } from './auth/admin-auth.guard';
import type { AdminIdentity } from './auth/admin-auth.service';
import { AdminCsrf } from './auth/admin-csrf';

/** JSON-safe copy: bigint → decimal string (amounts, balances), Dates stay ISO strings via JSON. */
export function jsonSafe<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function rid(req: AdminRequest): string | undefined {
  return req.id === undefined ? undefined : String(req.id);
}

function date(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The admin API (`/admin/api`) for automation and the console's scripts: the same reads and actions as
 * the pages. Authenticate with `Authorization: Bearer tga_…` (admin API token; no CSRF needed) or an admin
 * session cookie (then unsafe methods need `x-csrf-token`, from `GET /admin/api/csrf`). Merchant keys get
 * 401. Refusals are 409 with a sentence; viewers get 403 on actions.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/api')
@UseGuards(AdminAuthGuard)
export class AdminApiController {
  constructor(
    private readonly queries: AdminQueriesService,
    private readonly actions: AdminActionsService,
    private readonly audit: AdminAuditService,
    private readonly csrf: AdminCsrf,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'Who is calling (actor and role)' })
  me(@CurrentAdmin() admin: AdminIdentity) {
    return { actor: admin.actor, role: admin.role, kind: admin.kind, username: admin.username };
  }

  @Get('csrf')
  @ApiOperation({ summary: 'A CSRF token for session-authenticated scripts (send it as x-csrf-token)' })
  csrfToken(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return { csrfToken: this.csrf.token(req, res) };
  }

  @Get('overview')
  @ApiOperation({ summary: 'Lanes (queued, oldest age, earliest deadline, exposure, paused), relayers, last hour/day totals' })
  async overview() {
    return jsonSafe(await this.queries.overview());
  }

  @Get('payments')
  @ApiOperation({ summary: 'Payments filtered by status, merchant, payer, payTo, network, reason, time range (from/to ISO), q' })
  async payments(@Query() q: Record<string, string>) {
    return jsonSafe(
      await this.queries.payments({
        status: q.status,
        merchant: q.merchant,
        payer: q.payer,
        payTo: q.payTo,
        network: q.network,
        reason: q.reason,
        q: q.q,
        from: date(q.from),
        to: date(q.to),
        limit: Number(q.limit) || 50,
        offset: Number(q.offset) || 0,
      }),
    );
  }

  @Get('payments/:ref')
  @ApiOperation({ summary: 'One payment: event history, batches, every transaction hash, block and confirmations' })
  async payment(@Param('ref') ref: string) {
    const d = await this.queries.payment(ref);
    if (!d) throw new NotFoundException(`no payment ${ref}`);
    return jsonSafe(d);
  }

  @Post('payments/:ref/retry')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'failed → queued when the authorization can still succeed (409 with the reason otherwise)' })
  retry(@Req() req: AdminRequest, @Param('ref') ref: string) {
    return this.actions.retry(req.admin!, ref, rid(req)).then(jsonSafe);
  }

  @Post('payments/:ref/void')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Void a payment not yet broadcast (→ failed, tollgate_voided); body {reason}' })
  void(@Req() req: AdminRequest, @Param('ref') ref: string, @Body() body: { reason?: string } = {}) {
    return this.actions.void(req.admin!, ref, body?.reason ?? '', rid(req)).then(jsonSafe);
  }

  @Post('lanes/:network/:asset/pause')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Pause a lane (no new batches); body {reason}' })
  pause(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string, @Body() body: { reason?: string } = {}) {
    return this.actions.pauseLane(req.admin!, network, asset, body?.reason, rid(req)).then(jsonSafe);
  }

  @Post('lanes/:network/:asset/resume')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Resume a paused lane' })
  resume(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string) {
    return this.actions.resumeLane(req.admin!, network, asset, rid(req)).then(jsonSafe);
  }

  @Post('lanes/:network/:asset/flush')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Flush a lane on the next scheduler tick' })
  flush(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string) {
    return this.actions.flushLane(req.admin!, network, asset, rid(req)).then(jsonSafe);
  }

  @Get('batches')
  @ApiOperation({ summary: 'Batches, newest first (status, network filters)' })
  async batches(@Query() q: Record<string, string>) {
    return jsonSafe(await this.queries.batches({ status: q.status, network: q.network, limit: Number(q.limit) || 50, offset: Number(q.offset) || 0 }));
  }

  @Get('batches/:id')
  @ApiOperation({ summary: 'One batch: rows with their outcome, gas used and per payment, fee, every transaction' })
  async batch(@Param('id') id: string) {
    const d = await this.queries.batch(id);
    if (!d) throw new NotFoundException(`no batch ${id}`);
    return jsonSafe(d);
  }

  @Post('batches/:id/replace')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Replace a stuck submitted transaction on the next tracker pass (same nonce, fees +20 %)' })
  replace(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.replaceBatch(req.admin!, id, rid(req)).then(jsonSafe);
  }

  @Get('failures')
  @ApiOperation({ summary: 'Failures grouped by reason with hourly counts' })
  async failures(@Query('hours') hours?: string) {
    return jsonSafe(await this.queries.failures(Number(hours) || 24));
  }

  @Get('webhooks/deliveries')
  @ApiOperation({ summary: 'Webhook deliveries per merchant/endpoint with attempts' })
  async deliveries(@Query() q: Record<string, string>) {
    return jsonSafe(await this.queries.webhookDeliveries({ merchant: q.merchant, endpoint: q.endpoint, status: q.status, limit: Number(q.limit) || 50, offset: Number(q.offset) || 0 }));
  }

  @Post('webhooks/deliveries/:id/replay')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Send a webhook delivery again (same message id)' })
  replay(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.replayDelivery(req.admin!, id, rid(req)).then(jsonSafe);
  }

  @Get('merchants')
  @ApiOperation({ summary: 'Merchants with key prefixes, payTo, endpoints count and policy' })
  async merchants() {
    return jsonSafe(await this.queries.merchants());
  }

  @Get('merchants/:id')
  async merchant(@Param('id') id: string) {
    const m = await this.queries.merchant(id);
    if (!m) throw new NotFoundException(`no merchant ${id}`);
    return jsonSafe(m);
  }

  @Post('merchants')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Create a merchant; body {name, payTo[], settlementMode?, confirmedThreshold?}; the API key is in this answer only' })
  createMerchant(@Req() req: AdminRequest, @Body() body: { name?: string; payTo?: string[] | string; settlementMode?: string; confirmedThreshold?: string } = {}) {
    const payTo = Array.isArray(body?.payTo) ? body.payTo : String(body?.payTo ?? '').split(/[\s,]+/);
    return this.actions.createMerchant(req.admin!, { ...body, payTo }, rid(req)).then(jsonSafe);
  }

  @Post('merchants/:id/suspend')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  suspend(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.setMerchantStatus(req.admin!, id, 'suspended', rid(req)).then(jsonSafe);
  }

  @Post('merchants/:id/activate')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  activate(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.setMerchantStatus(req.admin!, id, 'active', rid(req)).then(jsonSafe);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Audit log, newest first (targetType, targetId, action, actor filters)' })
  async auditLog(@Query() q: Record<string, string>) {
    return jsonSafe(await this.audit.list({ targetType: q.targetType, targetId: q.targetId, action: q.action, actor: q.actor, limit: Number(q.limit) || 100, offset: Number(q.offset) || 0 }));
  }
}
