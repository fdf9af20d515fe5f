export * from './database';
export * from './payments';
export * from './stack';
export * from './webhook-receiver';
export * from './poll';
