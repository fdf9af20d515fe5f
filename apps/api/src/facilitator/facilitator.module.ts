import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FacilitatorReads, SettleRequests } from '@tollgate/persistence';
import { MerchantsModule } from '../merchants/merchants.module';
import { FacilitatorController } from './facilitator.controller';
import { FacilitatorService } from './facilitator.service';
import { LaneNudger } from './lane-nudger.service';
import { mechanismRegistryProvider } from './mechanisms';
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
  ],
})
export class FacilitatorModule {}
