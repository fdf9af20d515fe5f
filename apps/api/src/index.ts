/**
 * The API app's public entry for whoever runs it in-process (the demo, tests): the app factory and the
 * services those runners reach into. Other apps import the API only through this file
 * (test/architecture.spec.ts); `main.ts` is the process entry point.
 */
export { createApiApp } from './bootstrap';
export { MerchantsService, type AuthenticatedMerchant } from './merchants/merchants.service';
export { SettlementWaiter } from './facilitator/settlement-waiter.service';
