export * from './webhook-delivery-status';
export * from './webhook-delivery-store';
export * from './webhook-endpoint-repository';
export * from './webhook-delivery-repository';
export * from './webhook-relay-repository';
export * from './webhook-outbox-repository';
export * from './webhook-outbox';
