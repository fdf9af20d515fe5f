import { Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiKeysService, ApiKeyView, CreatedApiKey } from './api-keys.service';
import { parseInput, uuidParam } from './validation';

/** The merchant's API keys: several may be active; secrets are shown once. */
@ApiTags('merchant')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'List API keys (prefix for recognition, never the secret)' })
  @ApiOkResponse({ description: '{data: [{id, prefix, status, createdAt, revokedAt}]}' })
  async list(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<{ data: ApiKeyView[] }> {
    return { data: await this.keys.list(merchant.id) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; its secret is in this answer only' })
  @ApiCreatedResponse({ description: '{id, prefix, status, createdAt, revokedAt, secret}; 409 at 10 active keys' })
  create(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<CreatedApiKey> {
    return this.keys.create(merchant.id);
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
  @ApiOperation({ summary: 'Replace an API key: a new key is made and this one revoked, atomically' })
  @ApiCreatedResponse({ description: '{…new key, secret, replaced: {…revoked key}}' })
  rotate(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<CreatedApiKey & { replaced: ApiKeyView }> {
    return this.keys.rotate(merchant.id, parseInput(uuidParam, id, 'id'));
  }
}
