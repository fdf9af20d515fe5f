import { MerchantEntity } from './merchant.entity';
import { PaymentEventEntity } from './payment-event.entity';
import { PaymentEntity } from './payment.entity';
import { SettleRequestEntity } from './settle-request.entity';

export * from './merchant.entity';
export * from './payment.entity';
export * from './payment-event.entity';
export * from './settle-request.entity';

/** Every entity, for DataSource registration. */
export const ENTITIES = [
  MerchantEntity,
  PaymentEntity,
  PaymentEventEntity,
  SettleRequestEntity,
];
