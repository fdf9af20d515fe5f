import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminActionsService, RequestedActionResult } from './admin-actions.service';
import { AdminAuditService } from './admin-audit.service';
import { AdminQueriesService } from './admin-queries.service';
import { ConsoleTimeoutInterceptor } from './console-timeout.interceptor';
import { AdminAuthGuard, AdminRequest, AdminRoleRequired, CurrentAdmin } from './auth/admin-auth.guard';
import type { AdminIdentity } from './auth/admin-auth.service';
import { AdminCsrf } from './auth/admin-csrf';
import { parseInput } from '../merchant-api/validation';
import {
  assetParam,
  auditQuery,
  batchesQuery,
  createMerchantBody,
  deliveriesQuery,
  failuresQuery,
  idParam,
  issueMerchantKeyBody,
  networkParam,
  paymentRefParam,
  paymentsQuery,
  reasonBody,
} from './admin-input';

/** JSON-safe copy: bigint → decimal string (amounts, balances), Dates stay ISO strings via JSON. */
export function jsonSafe<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function rid(req: AdminRequest): string | undefined {
  return req.id === undefined ? undefined : String(req.id);
}

/**
 * 200 with the worker's outcome, or 202 when it is still `requested` (the body names the action to follow).
 * Written by hand: Nest's reply would overwrite a status set on a passthrough response.
 */
async function answer(res: Response, pending: Promise<RequestedActionResult>): Promise<void> {
  const r = await pending;
  res.status(r.status === 'requested' ? 202 : 200).json(jsonSafe(r));
}


/**
 * The admin API (`/admin/api`) for automation and the console's scripts: the same reads and actions as
 * the pages. Authenticate with `Authorization: Bearer tga_…` (admin API token; no CSRF needed) or an admin
 * session cookie (then unsafe methods need `x-csrf-token`, from `GET /admin/api/csrf`). Merchant keys get
 * 401. Refusals are 409 with a sentence; viewers get 403 on actions. Retry, void and replace are carried
 * out by the worker: 200 with its outcome, or 202 `{status: "requested", actionId}` when it has not answered
 * within ADMIN_ACTION_WAIT_MS (follow `GET /admin/api/actions/:id`).
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/api')
@UseGuards(AdminAuthGuard)
@UseInterceptors(ConsoleTimeoutInterceptor)
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
  async payments(@Query() query: unknown) {
    return jsonSafe(await this.queries.payments(parseInput(paymentsQuery, query, 'query')));
  }

  @Get('payments/:ref')
  @ApiOperation({ summary: 'One payment: event history, batches, every transaction hash, block and confirmations' })
  async payment(@Param('ref') rawRef: string) {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    const d = await this.queries.payment(ref);
    if (!d) throw new NotFoundException(`no payment ${ref}`);
    return jsonSafe(d);
  }

  @Post('payments/:ref/retry')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'failed → queued when the authorization can still succeed (409 with the reason otherwise)' })
  retry(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') ref: string) {
    return answer(res, this.actions.retry(req.admin!, parseInput(paymentRefParam, ref, 'ref'), rid(req)));
  }

  @Post('payments/:ref/void')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Void a payment not yet broadcast (→ failed, tollgate_voided); body {reason}' })
  void(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') ref: string, @Body() body: unknown) {
    const r = parseInput(paymentRefParam, ref, 'ref');
    return answer(res, this.actions.void(req.admin!, r, parseInput(reasonBody, body).reason ?? '', rid(req)));
  }

  @Post('lanes/:network/:asset/pause')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Pause a lane (no new batches); body {reason}' })
  pause(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string, @Body() body: unknown) {
    const [n, a] = [parseInput(networkParam, network, 'network'), parseInput(assetParam, asset, 'asset')];
    return this.actions.pauseLane(req.admin!, n, a, parseInput(reasonBody, body).reason, rid(req)).then(jsonSafe);
  }

  @Post('lanes/:network/:asset/resume')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Resume a paused lane' })
  resume(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string) {
    return this.actions.resumeLane(req.admin!, parseInput(networkParam, network, 'network'), parseInput(assetParam, asset, 'asset'), rid(req)).then(jsonSafe);
  }

  @Post('lanes/:network/:asset/flush')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Flush a lane on the next scheduler tick' })
  flush(@Req() req: AdminRequest, @Param('network') network: string, @Param('asset') asset: string) {
    return this.actions.flushLane(req.admin!, parseInput(networkParam, network, 'network'), parseInput(assetParam, asset, 'asset'), rid(req)).then(jsonSafe);
  }

  @Get('batches')
  @ApiOperation({ summary: 'Batches, newest first (status, network filters)' })
  async batches(@Query() query: unknown) {
    return jsonSafe(await this.queries.batches(parseInput(batchesQuery, query, 'query')));
  }

  @Get('batches/:id')
  @ApiOperation({ summary: 'One batch: rows with their outcome, gas used and per payment, fee, every transaction' })
  async batch(@Param('id') rawId: string) {
    const id = parseInput(idParam, rawId, 'id');
    const d = await this.queries.batch(id);
    if (!d) throw new NotFoundException(`no batch ${id}`);
    return jsonSafe(d);
  }

  @Post('batches/:id/replace')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Replace a stuck submitted transaction on the next tracker pass (same nonce, fees +20 %)' })
  replace(@Req() req: AdminRequest, @Res() res: Response, @Param('id') id: string) {
    return answer(res, this.actions.replaceBatch(req.admin!, parseInput(idParam, id, 'id'), rid(req)));
  }

  @Get('actions/:id')
  @ApiOperation({ summary: 'One operator action carried out by the worker: status requested|succeeded|refused|not_found|expired|failed, message, before/after' })
  async action(@Param('id') rawId: string) {
    const id = parseInput(idParam, rawId, 'id');
    const a = await this.actions.action(id);
    if (!a) throw new NotFoundException(`no action ${id}`);
    return jsonSafe(a);
  }

  @Get('failures')
  @ApiOperation({ summary: 'Failures grouped by reason with hourly counts' })
  async failures(@Query() query: unknown) {
    return jsonSafe(await this.queries.failures(parseInput(failuresQuery, query, 'query').hours));
  }

  @Get('webhooks/deliveries')
  @ApiOperation({ summary: 'Webhook deliveries per merchant/endpoint with attempts' })
  async deliveries(@Query() query: unknown) {
    return jsonSafe(await this.queries.webhookDeliveries(parseInput(deliveriesQuery, query, 'query')));
  }

  @Post('webhooks/deliveries/:id/replay')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Send a webhook delivery again (same message id)' })
  replay(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.replayDelivery(req.admin!, parseInput(idParam, id, 'id'), rid(req)).then(jsonSafe);
  }

  @Get('merchants')
  @ApiOperation({ summary: 'Merchants with key prefixes, payTo, endpoints count and policy' })
  async merchants() {
    return jsonSafe(await this.queries.merchants());
  }

  @Get('merchants/:id')
  @ApiOperation({ summary: 'One merchant with its webhook endpoints' })
  async merchant(@Param('id') rawId: string) {
    const id = parseInput(idParam, rawId, 'id');
    const m = await this.queries.merchant(id);
    if (!m) throw new NotFoundException(`no merchant ${id}`);
    return jsonSafe(m);
  }

  @Post('merchants')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Create a merchant; body {name, payTo[], settlementMode?, confirmedThreshold?}; the API key is in this answer only' })
  createMerchant(@Req() req: AdminRequest, @Body() body: unknown) {
    return this.actions.createMerchant(req.admin!, parseInput(createMerchantBody, body), rid(req)).then(jsonSafe);
  }

  @Post('merchants/:id/suspend')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Suspend a merchant: its API keys stop authenticating' })
  suspend(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.setMerchantStatus(req.admin!, parseInput(idParam, id, 'id'), 'suspended', rid(req)).then(jsonSafe);
  }

  @Post('merchants/:id/activate')
  @HttpCode(200)
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Re-activate a suspended merchant' })
  activate(@Req() req: AdminRequest, @Param('id') id: string) {
    return this.actions.setMerchantStatus(req.admin!, parseInput(idParam, id, 'id'), 'active', rid(req)).then(jsonSafe);
  }

  @Post('merchants/:id/api-keys')
  @AdminRoleRequired('operator')
  @ApiOperation({ summary: 'Issue a new API key to a merchant that lost theirs; body {name?, revokeExisting?}; the key is in this answer only (audited)' })
  issueMerchantKey(@Req() req: AdminRequest, @Param('id') id: string, @Body() body: unknown) {
    return this.actions.issueMerchantKey(req.admin!, parseInput(idParam, id, 'id'), parseInput(issueMerchantKeyBody, body), rid(req)).then(jsonSafe);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Audit log, newest first (targetType, targetId, action, actor filters)' })
  async auditLog(@Query() query: unknown) {
    return jsonSafe(await this.audit.list(parseInput(auditQuery, query, 'query')));
  }
}
