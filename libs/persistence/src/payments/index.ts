export * from './payment-status';
export * from './payment-ledger';
export * from './payment-accept';
export * from './accept-payment.sql';
export * from './facilitator-reads';
export * from './settle-requests';
export * from './hot-path-plans.sql';
export * from './payment-reference';
