import { MerchantApiKeyEntity } from './merchant-api-key.entity';
import { MerchantPayToEntity } from './merchant-pay-to.entity';
import { MerchantEntity } from './merchant.entity';
import { PaymentEventEntity } from './payment-event.entity';
import { PaymentEntity } from './payment.entity';
import { SettleRequestEntity } from './settle-request.entity';
import { WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export * from './merchant.entity';
export * from './merchant-api-key.entity';
export * from './merchant-pay-to.entity';
export * from './payment.entity';
export * from './payment-event.entity';
export * from './settle-request.entity';
export * from './webhook-endpoint.entity';
export * from './webhook-delivery.entity';
export * from './webhook-attempt.entity';

/** Every entity, for DataSource registration. */
export const ENTITIES = [
  MerchantEntity,
  MerchantApiKeyEntity,
  MerchantPayToEntity,
  PaymentEntity,
  PaymentEventEntity,
  SettleRequestEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
  WebhookAttemptEntity,
];
