import { Module } from '@nestjs/common';
import type IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { FacilitatorReads, SettleRequests } from '@tollgate/persistence';
import { REDIS } from '../core.module';
import { MerchantsModule } from '../merchants/merchants.module';
import { FacilitatorController } from './facilitator.controller';
import { FacilitatorService } from './facilitator.service';
import { LaneNudger } from './lane-nudger.service';
import { mechanismRegistryProvider } from './mechanisms';
import { MerchantRateLimitGuard } from './merchant-rate-limit.guard';
import { MerchantRateLimiter } from './merchant-rate-limiter';
import { PaymentAcceptanceService } from './payment-acceptance.service';
import { SettlementWaiter } from './settlement-waiter.service';
import { SupportedService } from './supported.service';

@Module({
  imports: [MerchantsModule],
  controllers: [FacilitatorController],
  providers: [
    mechanismRegistryProvider,
    { provide: FacilitatorReads, inject: [DataSource], useFactory: (ds: DataSource) => new FacilitatorReads(ds) },
    { provide: SettleRequests, inject: [DataSource], useFactory: (ds: DataSource) => new SettleRequests(ds) },
    FacilitatorService,
    LaneNudger,
    PaymentAcceptanceService,
    SettlementWaiter,
    SupportedService,
    {
      provide: MerchantRateLimiter,
      inject: [REDIS, TOLLGATE_CONFIG],
      useFactory: (redis: IORedis, c: TollgateConfig) => new MerchantRateLimiter(redis, `${c.queuePrefix}:merchant-rate`),
    },
    MerchantRateLimitGuard,
  ],
})
export class FacilitatorModule {}
