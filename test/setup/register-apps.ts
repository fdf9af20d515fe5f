/**
 * Jest `setupFiles` entry: gives the shared test harnesses of libs/testing the apps they start. Libraries
 * never import apps (test/architecture.spec.ts), so the apps are injected here; every import is lazy so a
 * unit test that starts no app does not load Nest or the worker.
 */
import { registerTestApps } from '@tollgate/testing';
import type { SettlementWorker } from '../../apps/worker/src/settlement-worker';
import type { OperatorActionWorker } from '../../apps/worker/src/operator-action-worker';
import type { AdminRole } from '../../apps/api/src/admin/auth/admin-auth.service';

declare module '@tollgate/testing' {
  // Tests see the in-process worker with its real type (e.g. its batch tracker).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface TestSettlementWorker extends SettlementWorker {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface TestOperatorActionWorker extends OperatorActionWorker {}
}

registerTestApps({
  createApiApp: async (config) => (await import('../../apps/api/src/bootstrap')).createApiApp(config),
  startSettlementWorker: async (config, opts) => (await import('../../apps/worker/src/settlement-worker')).SettlementWorker.start(config, opts),
  startOperatorActions: async (config, opts) => (await import('../../apps/worker/src/operator-action-worker')).OperatorActionWorker.start(config, opts),
  async createMerchant(app, input) {
    const { MerchantsService } = await import('../../apps/api/src/merchants/merchants.service');
    const created = await app.get(MerchantsService).create(input);
    return { merchantId: created.merchant.id, apiKey: created.apiKey };
  },
  async createAdminUser(app, username, password, role) {
    const { AdminAuthService } = await import('../../apps/api/src/admin/auth/admin-auth.service');
    await app.get(AdminAuthService).createUser(username, password, role as AdminRole);
  },
  async createAdminToken(app, name, role) {
    const { AdminAuthService } = await import('../../apps/api/src/admin/auth/admin-auth.service');
    return (await app.get(AdminAuthService).createToken(name, role as AdminRole)).token;
  },
  // Synchronous by contract; the module is small and has no side effects at load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  newPaymentReference: () => require('../../apps/api/src/facilitator/payment-acceptance.service').newPaymentReference(),
  workerEntry: 'apps/worker/src/main.ts',
});
