import 'reflect-metadata';
import { loadConfigOrExit } from '@tollgate/config';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.networks.length === 0) {
    process.stderr.write('No networks configured: run `npm run devchain` (writes DEVCHAIN_FILE) or set NETWORKS.\n');
    process.exit(78);
  }
  const app = await createApiApp(config);
  await app.listen(config.api.port, config.api.host);
}

void main();
