import type { INestApplication } from '@nestjs/common';
import type { Address } from 'viem';
import type { TollgateConfig, WorkerConfig } from '@tollgate/config';

/**
 * A settlement worker started in-process by a test. The test set-up widens this interface (module
 * augmentation) to the worker's real class, so tests keep its full type while libs/testing never imports
 * an app.
 */
export interface TestSettlementWorker {
  stop(): Promise<void>;
}

/** The worker's consumer of operator actions (retry, void, replace), started in-process by a test. */
export interface TestOperatorActionWorker {
  stop(): Promise<void>;
}

/**
 * What the test harnesses need from the apps, injected instead of imported: libraries never import apps
 * (see test/architecture.spec.ts). `test/setup/register-apps.ts` (a jest `setupFiles` entry) registers the
 * real implementations, lazily, so a unit test that never starts an app does not load Nest.
 */
export interface TestApps {
  /** Builds (without listening) the HTTP API for `config`. */
  createApiApp(config: TollgateConfig): Promise<INestApplication>;
  /** Starts the settlement worker in this process. */
  startSettlementWorker(config: WorkerConfig, opts: { concurrency: number }): Promise<TestSettlementWorker>;
  /** Starts the operator-action consumer in this process. */
  startOperatorActions(config: WorkerConfig, opts: { concurrency: number }): Promise<TestOperatorActionWorker>;
  /** Creates a merchant owning `payTo` through the API's own service; returns its id and API key. */
  createMerchant(app: INestApplication, input: { name: string; payTo: Address[] }): Promise<{ merchantId: string; apiKey: string }>;
  /** Creates an admin console user (what `npm run admin -- create-user` does). */
  createAdminUser(app: INestApplication, username: string, password: string, role: string): Promise<void>;
  /** Creates an admin API token (`tga_…`) and returns it. */
  createAdminToken(app: INestApplication, name: string, role: string): Promise<string>;
  /** A fresh payment reference in the API's format (`pay_…`). */
  newPaymentReference(): string;
  /** The worker's entry point, relative to the repository root, for tests that run it as its own process. */
  workerEntry: string;
}

let registered: TestApps | undefined;

/** Registers the apps for the harnesses (called once per test file from the jest set-up). */
export function registerTestApps(apps: TestApps): void {
  registered = apps;
}

/** The registered apps; throws naming the set-up file when nothing registered them. */
export function testApps(): TestApps {
  if (!registered) throw new Error('no apps registered for the test harnesses: jest setupFiles must include test/setup/register-apps.ts');
  return registered;
}
