import { MerchantApiKeyEntity } from './merchant-api-key.entity';
import { MerchantPayToEntity } from './merchant-pay-to.entity';
import { MerchantEntity } from './merchant.entity';
import { PaymentEventEntity } from './payment-event.entity';
import { PaymentEntity } from './payment.entity';
import { SettleRequestEntity } from './settle-request.entity';

export * from './merchant.entity';
export * from './merchant-api-key.entity';
export * from './merchant-pay-to.entity';
export * from './payment.entity';
export * from './payment-event.entity';
export * from './settle-request.entity';

/** Every entity, for DataSource registration. */
export const ENTITIES = [
  MerchantEntity,
  MerchantApiKeyEntity,
  MerchantPayToEntity,
  PaymentEntity,
  PaymentEventEntity,
  SettleRequestEntity,
];
