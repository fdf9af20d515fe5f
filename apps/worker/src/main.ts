import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { setPriority } from 'node:os';
import { loadWorkerConfigOrExit } from '@tollgate/config';
import { createWorkerApp } from './bootstrap';
import { listenWorkerHttp } from './worker-http';

async function main(): Promise<void> {
  const config = loadWorkerConfigOrExit();
  // A Solana-only deployment is complete: the EVM settlement loops then simply find no lane.
  if (config.networks.length === 0 && !config.solanaNetworks) {
    process.stderr.write('No networks configured: run `npm run devchain` (writes DEVCHAIN_FILE), or set NETWORKS or SOLANA_NETWORKS.\n');
    process.exit(78);
  }
  if (config.worker.nice > 0) {
    // Only this process (and its threads): the Postgres backends serving it keep their priority.
    try {
      setPriority(config.worker.nice);
    } catch (e) {
      process.stderr.write(`WORKER_NICE=${config.worker.nice} not applied: ${(e as Error).message}\n`);
    }
  }
  const app = await createWorkerApp(config);
  const http = await listenWorkerHttp(app, config);
  const logger = new Logger('worker');
  logger.log(`settlement, webhook and operator-action workers started for ${[...config.networks, ...(config.solanaNetworks ?? [])].map((n) => n.network).join(', ')}`);
  logger.log(`health and metrics on http://${config.worker.metricsHost}:${http.port} (/health, /health/live, /health/ready, /metrics)`);
}

main().catch((e) => {
  process.stderr.write(`worker failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
