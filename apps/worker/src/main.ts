import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@tollgate/config';
import { SettlementWorker } from './settlement-worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.networks.length === 0) {
    process.stderr.write('No networks configured: run `npm run devchain` (writes DEVCHAIN_FILE) or set NETWORKS.\n');
    process.exit(78);
  }
  const logger = new Logger('worker');
  const worker = await SettlementWorker.start(config);
  logger.log(`settlement worker started for ${config.networks.map((n) => n.network).join(', ')}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing active jobs`);
    worker.stop().then(
      () => process.exit(0),
      (e) => {
        logger.error(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`worker failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
