export * from './entities';
export * from './payment-status';
export * from './payment-ledger';
export * from './webhook-outbox';
export * from './data-source';
export * from './transformers';
export * from './database';
export * from './query-rows';
