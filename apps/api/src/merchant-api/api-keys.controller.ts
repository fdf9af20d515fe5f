import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiKeysService, ApiKeyView, CreatedApiKey } from './api-keys.service';
import { z } from 'zod';
import { parseInput, uuidParam } from './validation';

// Not strict: before labels were stored, clients' extra fields were ignored, and still are.
/** Body of `POST /v1/merchant/api-keys` (optional). */
export const createBody = z.object({ name: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters').optional() });

/** The merchant's API keys: several may be active; secrets are shown once. */
@ApiTags('merchant')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'List API keys (prefix for recognition, never the secret)' })
  async list(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<{ data: ApiKeyView[] }> {
    return { data: await this.keys.list(merchant.id) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; its secret is in this answer only' })
  create(@CurrentMerchant() merchant: AuthenticatedMerchant, @Body() body: unknown): Promise<CreatedApiKey> {
    return this.keys.create(merchant.id, parseInput(createBody, body).name ?? null);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key (at least one active key must remain)' })
  revoke(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(merchant.id, parseInput(uuidParam, id, 'id'));
  }

  @Post(':id/rotate')
  @ApiOperation({ summary: 'Replace an API key: a new key (same name) is made and this one revoked, atomically' })
  rotate(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<CreatedApiKey & { replaced: ApiKeyView }> {
    return this.keys.rotate(merchant.id, parseInput(uuidParam, id, 'id'));
  }
}
