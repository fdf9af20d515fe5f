export * from './merchant';
export * from './merchant-repository';
export * from './api-key-repository';
export * from './merchant-payment-repository';
