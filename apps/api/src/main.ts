import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@tollgate/config';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.networks.length === 0 && !config.solanaNetworks) {
    process.stderr.write('No networks configured: run `npm run devchain` (writes DEVCHAIN_FILE), or set NETWORKS or SOLANA_NETWORKS.\n');
    process.exit(78);
  }
  const app = await createApiApp(config);
  await app.listen(config.api.port, config.api.host);
  // The one line a person starting the API looks for: where it answers (API_PORT=0 picks a free port).
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host}:${port}`;
  new Logger('api').log(`Tollgate API listening on ${url} (OpenAPI: ${url}/docs, JSON: ${url}/docs-json)`);
}

void main();
