import { Module } from '@nestjs/common';
import type IORedis from 'ioredis';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { REDIS } from '../core.module';
import { ApiKeyUsage } from './api-key-usage';
import { MerchantAuthGuard } from './merchant-auth.guard';
import { MerchantAuthEpoch } from './merchant-auth-epoch';
import { MERCHANT_AUTH_EPOCH, MerchantsService } from './merchants.service';

@Module({
  providers: [
    {
      provide: MERCHANT_AUTH_EPOCH,
      inject: [REDIS, TOLLGATE_CONFIG],
      useFactory: (redis: IORedis, c: TollgateConfig) => new MerchantAuthEpoch(redis, `${c.queuePrefix}:merchant-auth-epoch`),
    },
    MerchantsService,
    ApiKeyUsage,
    MerchantAuthGuard,
  ],
  exports: [MerchantsService, MerchantAuthGuard, ApiKeyUsage],
})
export class MerchantsModule {}
