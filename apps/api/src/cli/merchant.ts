import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@tollgate/config';
import { createDataSource } from '@tollgate/persistence';
import { MerchantsService, PayToTakenError } from '../merchants/merchants.service';
import { runCli } from './run-cli';

const USAGE = `usage: npm run merchant -- create --name <name> --pay-to <0xaddr[,0xaddr…]> [--mode deferred|confirmed] [--confirmed-threshold <atomic units>] [--json]`;

/**
 * `npm run merchant -- create …`: creates a merchant with its payTo addresses and prints its API key.
 * The key is shown once; only its SHA-256 is stored.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'create') {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'pay-to': { type: 'string' },
      mode: { type: 'string', default: 'deferred' },
      'confirmed-threshold': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const payTo = (values['pay-to'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!values.name || payTo.length === 0) {
    process.stderr.write(`--name and --pay-to are required\n${USAGE}\n`);
    return 64;
  }
  const bad = payTo.find((a) => !/^0x[0-9a-fA-F]{40}$/.test(a));
  if (bad) {
    process.stderr.write(`--pay-to: "${bad}" is not a 0x-prefixed 20-byte address\n`);
    return 64;
  }
  if (values.mode !== 'deferred' && values.mode !== 'confirmed') {
    process.stderr.write('--mode must be deferred or confirmed\n');
    return 64;
  }
  const threshold = values['confirmed-threshold'];
  if (threshold !== undefined && !/^[0-9]+$/.test(threshold)) {
    process.stderr.write('--confirmed-threshold must be a whole number of atomic units\n');
    return 64;
  }
  const config = loadConfigOrExit();
  const ds = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 2, applicationName: 'tollgate-cli' }).initialize();
  try {
    const created = await new MerchantsService(ds).create({
      name: values.name,
      payTo,
      settlementMode: values.mode,
      confirmedThreshold: threshold === undefined ? null : BigInt(threshold),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ merchantId: created.merchant.id, apiKey: created.apiKey, apiKeyPrefix: created.apiKeyPrefix, payTo })}\n`);
    } else {
      process.stdout.write(
        `merchant ${created.merchant.id} (${values.name}) created\n` +
          `payTo: ${payTo.join(', ')}\n` +
          `API key (shown once, store it now): ${created.apiKey}\n` +
          `for the README's curl examples: export TOLLGATE_API_KEY=${created.apiKey}\n`,
      );
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

runCli('merchant', () => main(process.argv.slice(2)), [PayToTakenError]);
