import { Module } from '@nestjs/common';
import { MerchantAuthGuard } from './merchant-auth.guard';
import { MerchantsService } from './merchants.service';

@Module({ providers: [MerchantsService, MerchantAuthGuard], exports: [MerchantsService, MerchantAuthGuard] })
export class MerchantsModule {}
