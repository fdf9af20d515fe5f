import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiKeysService, ApiKeyView, CreatedApiKey } from './api-keys.service';
import { z } from 'zod';
import { parseInput, uuidParam } from './validation';

// Not strict: before labels were stored, clients' extra fields were ignored, and still are.
const createBody = z.object({ name: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters').optional() });

/** The merchant's API keys: several may be active; secrets are shown once. */
@ApiTags('merchant')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'List API keys (prefix for recognition, never the secret)' })
  @ApiOkResponse({ description: '{data: [{id, prefix, name, status, createdAt, revokedAt, lastUsedAt}]}; lastUsedAt is accurate to about a minute' })
  async list(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<{ data: ApiKeyView[] }> {
    return { data: await this.keys.list(merchant.id) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; its secret is in this answer only' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { name: { type: 'string', maxLength: 100, description: 'a label, e.g. "production"' } } } })
  @ApiCreatedResponse({ description: '{id, prefix, name, status, createdAt, revokedAt, lastUsedAt, secret}; 400 bad name; 409 at 10 active keys' })
  create(@CurrentMerchant() merchant: AuthenticatedMerchant, @Body() body: unknown): Promise<CreatedApiKey> {
    return this.keys.create(merchant.id, parseInput(createBody, body).name ?? null);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Revoke an API key (at least one active key must remain)' })
  @ApiOkResponse({ description: 'the revoked key; 404 unknown key; 409 last active key' })
  revoke(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(merchant.id, parseInput(uuidParam, id, 'id'));
  }

  @Post(':id/rotate')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Replace an API key: a new key (same name) is made and this one revoked, atomically' })
  @ApiCreatedResponse({ description: '{…new key, secret, replaced: {…revoked key}}' })
  rotate(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<CreatedApiKey & { replaced: ApiKeyView }> {
    return this.keys.rotate(merchant.id, parseInput(uuidParam, id, 'id'));
  }
}
