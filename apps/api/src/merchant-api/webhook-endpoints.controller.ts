import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ALL_WEBHOOK_EVENTS, SUBSCRIBABLE_WEBHOOK_EVENT_TYPES } from '@tollgate/persistence';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import {
  MAX_SECRET_OVERLAP_SECONDS,
  WebhookAttemptView,
  WebhookDeliveryView,
  WebhookEndpointsService,
  WebhookEndpointView,
  WebhookEndpointWithSecret,
} from './webhook-endpoints.service';
import { isoTime, pageLimit, parseInput, uuidParam } from './validation';

const EVENT_CHOICES = [ALL_WEBHOOK_EVENTS, ...SUBSCRIBABLE_WEBHOOK_EVENT_TYPES] as const;
/**
 * An endpoint's subscription: event types by name, or `["*"]` for every event type (including ones added
 * later). A list naming `*` is stored as `["*"]`; duplicates are dropped. A bad entry answers 400 naming it.
 */
const eventTypes = z
  .array(
    z.enum(EVENT_CHOICES, {
      errorMap: (_issue, ctx) => ({ message: `${JSON.stringify(ctx.data)} is not a webhook event type; use "*" (every event) or any of ${SUBSCRIBABLE_WEBHOOK_EVENT_TYPES.join(', ')}` }),
    }),
    { invalid_type_error: 'must be a list of event types' },
  )
  .min(1, 'subscribe to at least one event type (or "*" for every event)')
  .transform((xs) => (xs.includes(ALL_WEBHOOK_EVENTS) ? [ALL_WEBHOOK_EVENTS] : [...new Set(xs)]));
const url = z
  .string({ required_error: 'is required' })
  .min(1, 'is required')
  .describe('https URL (plain http only for allowlisted development hosts); must resolve to a public address');
const description = z.string().max(500, 'must be at most 500 characters').nullable();

/** POST body: omitting `eventTypes` subscribes to every event (`["*"]`). */
export const createBody = z.object({ url, eventTypes: eventTypes.default([ALL_WEBHOOK_EVENTS]), description: description.optional() }).strict();
export const updateBody = z
  .object({ url: url.optional(), eventTypes: eventTypes.optional(), description: description.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'name at least one of url, eventTypes, description, enabled' });
export const rotateBody = z
  .object({
    overlapSeconds: z
      .number({ invalid_type_error: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(0)
      .max(MAX_SECRET_OVERLAP_SECONDS)
      .default(86400)
      .describe('seconds the previous secret keeps signing beside the new one (0 = stop at once)'),
  })
  .strict();
export const replayBody = z
  .object({ since: isoTime, until: isoTime.optional(), includeSucceeded: z.boolean().default(false) })
  .strict()
  .refine((r) => !r.until || r.until > r.since, { message: 'must be after since', path: ['until'] });
export const deliveriesQuery = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).optional(),
    eventType: z.string().max(100).optional(),
    limit: pageLimit,
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
  })
  .strict();

/**
 * Webhook endpoints of the authenticated merchant, their signing secrets (Standard Webhooks `whsec_…`,
 * shown once), deliveries with every attempt, test sends and replays.
 */
@ApiTags('merchant webhooks')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Register an endpoint; the answer carries its signing secret, shown this once' })
  create(@CurrentMerchant() merchant: AuthenticatedMerchant, @Body() body: unknown): Promise<WebhookEndpointWithSecret> {
    return this.endpoints.create(merchant.id, parseInput(createBody, body));
  }

  @Get()
  @ApiOperation({ summary: 'List endpoints with their status (a disabled one says why)' })
  async list(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<{ data: WebhookEndpointView[] }> {
    return { data: await this.endpoints.list(merchant.id) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one endpoint' })
  get(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(merchant.id, parseInput(uuidParam, id, 'id'));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change URL, event types or description; `enabled: true` re-enables a disabled endpoint' })
  update(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string, @Body() body: unknown): Promise<WebhookEndpointView> {
    const endpointId = parseInput(uuidParam, id, 'id');
    return this.endpoints.update(merchant.id, endpointId, parseInput(updateBody, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint (its pending deliveries fail; the delivery log stays)' })
  async remove(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(merchant.id, parseInput(uuidParam, id, 'id'));
  }

  @Post(':id/rotate-secret')
  @ApiOperation({
    summary: 'Make a new signing secret',
    description: 'The old secret keeps signing alongside the new one for overlapSeconds (default 86400; 0 = stop at once), so receivers can switch without missing a webhook.',
  })
  rotateSecret(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string, @Body() body: unknown): Promise<WebhookEndpointWithSecret> {
    const endpointId = parseInput(uuidParam, id, 'id');
    return this.endpoints.rotateSecret(merchant.id, endpointId, parseInput(rotateBody, body).overlapSeconds);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a `webhook.test` event (also to a disabled endpoint, to check a fix)' })
  testSend(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<{ deliveryId: string }> {
    return this.endpoints.testSend(merchant.id, parseInput(uuidParam, id, 'id'));
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'List deliveries, newest event first' })
  listDeliveries(
    @CurrentMerchant() merchant: AuthenticatedMerchant,
    @Param('id') id: string,
    @Query() query: unknown,
  ): Promise<{ data: WebhookDeliveryView[]; nextCursor: string | null }> {
    const endpointId = parseInput(uuidParam, id, 'id');
    return this.endpoints.listDeliveries(merchant.id, endpointId, parseInput(deliveriesQuery, query, 'query'));
  }

  @Get(':id/deliveries/:deliveryId')
  @ApiOperation({ summary: 'One delivery: its body and every attempt (status, latency, truncated response, error)' })
  getDelivery(
    @CurrentMerchant() merchant: AuthenticatedMerchant,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryView & { payload: unknown; attempts: WebhookAttemptView[] }> {
    return this.endpoints.getDelivery(merchant.id, parseInput(uuidParam, id, 'id'), parseInput(uuidParam, deliveryId, 'deliveryId'));
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one delivery again (same webhook-id and body, fresh schedule)' })
  replayOne(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<{ deliveryId: string }> {
    return this.endpoints.replayDelivery(merchant.id, parseInput(uuidParam, id, 'id'), parseInput(uuidParam, deliveryId, 'deliveryId'));
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send again every delivery whose event happened in [since, until) and failed (or also succeeded)' })
  replayRange(
    @CurrentMerchant() merchant: AuthenticatedMerchant,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<{ replayed: number; deliveryIds: string[] }> {
    const endpointId = parseInput(uuidParam, id, 'id');
    const r = parseInput(replayBody, body);
    return this.endpoints.replayRange(merchant.id, endpointId, { since: r.since, until: r.until ?? new Date(), includeSucceeded: r.includeSucceeded });
  }
}
