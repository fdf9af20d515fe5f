import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ApiKeyRepository, MerchantPaymentRepository, MerchantRepository, WebhookDeliveryRepository, WebhookEndpointRepository } from '@tollgate/persistence';
import { JobQueues } from '@tollgate/queue';
import { SecretBox, WebhookDispatcher, WebhookUrlPolicy } from '@tollgate/webhooks';
import { MerchantsModule } from '../merchants/merchants.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { MerchantController } from './merchant.controller';
import { MerchantPaymentExportsController } from './merchant-payment-exports.controller';
import { MerchantPaymentExportsService } from './merchant-payment-exports.service';
import { MerchantPaymentsController, PublicPaymentsController } from './merchant-payments.controller';
import { MerchantPaymentsService } from './merchant-payments.service';
import { MerchantSettingsService } from './merchant-settings.service';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';

/**
 * The merchant API (`/v1/merchant/…`, authenticated with the merchant's own key) and the public payment
 * status lookup (`/v1/payments/:reference/status`).
 */
@Module({
  imports: [MerchantsModule],
  // The exports controller comes before the payments one: `payments/daily-totals` must not be read as a reference.
  controllers: [MerchantController, ApiKeysController, WebhookEndpointsController, MerchantPaymentExportsController, MerchantPaymentsController, PublicPaymentsController],
  providers: [
    MerchantSettingsService,
    ApiKeysService,
    WebhookEndpointsService,
    MerchantPaymentsService,
    MerchantPaymentExportsService,
    ...[MerchantRepository, ApiKeyRepository, MerchantPaymentRepository, WebhookEndpointRepository, WebhookDeliveryRepository].map((Repo) => ({
      provide: Repo,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new Repo(ds),
    })),
    { provide: SecretBox, inject: [TOLLGATE_CONFIG], useFactory: (c: TollgateConfig) => new SecretBox(c.webhooks.secretKey, c.webhooks.secretKeySource) },
    {
      provide: WebhookUrlPolicy,
      inject: [TOLLGATE_CONFIG],
      useFactory: (c: TollgateConfig) => new WebhookUrlPolicy({ httpAllowlist: c.webhooks.httpAllowlist, allowPrivateAddresses: c.webhooks.allowPrivateAddresses }),
    },
    { provide: WebhookDispatcher, inject: [DataSource, JobQueues], useFactory: (ds: DataSource, q: JobQueues) => new WebhookDispatcher(ds, q) },
  ],
})
export class MerchantApiModule {}
