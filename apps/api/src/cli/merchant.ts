import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@tollgate/config';
import { ALL_WEBHOOK_EVENTS, createDataSource, MerchantRepository, WebhookEndpointRepository } from '@tollgate/persistence';
import { PayToTakenError } from '@tollgate/persistence';
import { MerchantsService } from '../merchants/merchants.service';
import { canonicalPayTo, PAY_TO_FORMATS } from '../merchants/pay-to-address';
import { runCli } from './run-cli';

const USAGE = `usage: npm run merchant -- create --name <name> --pay-to <address[,address…]> [--mode deferred|confirmed] [--confirmed-threshold <atomic units>] [--json]
       npm run merchant -- pay-to add|retire --merchant <id> --address <address>
       npm run merchant -- rate-limit --merchant <id> --per-second <n|default>   (0 = unlimited; default = MERCHANT_RATE_LIMIT_PER_SECOND)
       npm run merchant -- webhooks --merchant <id>   (its webhook endpoints and what each is subscribed to)`;

/**
 * `npm run merchant -- …`: `create` makes a merchant with its payTo addresses and prints its API key (shown once;
 * only its SHA-256 is stored); `pay-to add|retire` and `rate-limit` change one merchant. Running API processes
 * see a change within their 5 s authentication cache (the CLI holds no Redis connection to bump the epoch).
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'pay-to') return payToCommand(rest);
  if (command === 'rate-limit') return rateLimit(rest);
  if (command === 'webhooks') return webhooks(rest);
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
  const given = (values['pay-to'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!values.name || given.length === 0) {
    process.stderr.write(`--name and --pay-to are required\n${USAGE}\n`);
    return 64;
  }
  // The rules of POST /v1/merchant/pay-to and `pay-to add`: EVM or Solana, stored in canonical form.
  const bad = given.find((a) => canonicalPayTo(a) === null);
  if (bad !== undefined) {
    process.stderr.write(`--pay-to: "${bad}" is not ${PAY_TO_FORMATS}\n`);
    return 64;
  }
  const payTo = given.map((a) => canonicalPayTo(a)!);
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
      process.stdout.write(`${JSON.stringify({ merchantId: created.merchant.id, apiKey: created.apiKey, apiKeyPrefix: created.apiKeyPrefix, payTo: given })}\n`);
    } else {
      process.stdout.write(
        `merchant ${created.merchant.id} (${values.name}) created\n` +
          `payTo: ${given.join(', ')}\n` +
          `API key (shown once, store it now): ${created.apiKey}\n` +
          `for the README's curl examples: export TOLLGATE_API_KEY=${created.apiKey}\n`,
      );
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

/** `pay-to add|retire --merchant <id> --address <address>`: exit 0 done, 64 usage, 65 owned by another merchant, 66 not the merchant's. */
async function payToCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { merchant: { type: 'string' }, address: { type: 'string' } } });
  const address = canonicalPayTo(values.address ?? '');
  if ((action !== 'add' && action !== 'retire') || !isUuid(values.merchant) || !values.address) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  if (!address) {
    process.stderr.write(`--address: "${values.address}" is not ${PAY_TO_FORMATS}\n`);
    return 64;
  }
  return withRepository(async (repo) => {
    if (action === 'add') {
      const { changed } = await repo.addPayTo(values.merchant!, address);
      process.stdout.write(`payTo ${values.address} ${changed ? 'added' : 'already active'}\n`);
      return 0;
    }
    const out = await repo.retirePayTo(values.merchant!, address);
    if (!out) {
      process.stderr.write(`payTo ${values.address} is not an address of merchant ${values.merchant}\n`);
      return 66;
    }
    process.stdout.write(`payTo ${values.address} retired\n`);
    return 0;
  });
}

/** `rate-limit --merchant <id> --per-second <n|default>`: exit 0 done, 64 usage, 66 unknown merchant. */
async function rateLimit(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { merchant: { type: 'string' }, 'per-second': { type: 'string' } } });
  const raw = values['per-second'];
  if (!isUuid(values.merchant) || raw === undefined || (raw !== 'default' && !/^\d{1,7}$/.test(raw))) {
    process.stderr.write(`--merchant (a merchant id) and --per-second (a whole number, or "default") are required\n${USAGE}\n`);
    return 64;
  }
  return withRepository(async (repo) => {
    if (!(await repo.setRateLimit(values.merchant!, raw === 'default' ? null : Number(raw)))) {
      process.stderr.write(`no merchant ${values.merchant}\n`);
      return 66;
    }
    process.stdout.write(`merchant ${values.merchant}: rate limit ${raw === 'default' ? 'the deployment default' : raw === '0' ? 'unlimited' : `${raw} per second`}\n`);
    return 0;
  });
}

/** `webhooks --merchant <id>`: one line per live endpoint (id, status, URL, subscription); exit 0, or 64 usage. */
async function webhooks(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { merchant: { type: 'string' } } });
  if (!isUuid(values.merchant)) {
    process.stderr.write(`--merchant (a merchant id) is required\n${USAGE}\n`);
    return 64;
  }
  const config = loadConfigOrExit();
  const ds = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 1, applicationName: 'tollgate-cli' }).initialize();
  try {
    const endpoints = await new WebhookEndpointRepository(ds).list(values.merchant);
    for (const e of endpoints) {
      const events = e.event_types.includes(ALL_WEBHOOK_EVENTS) ? 'every event (*)' : e.event_types.join(',');
      process.stdout.write(`${e.id}\t${e.status}\t${e.url}\t${events}\n`);
    }
    if (endpoints.length === 0) process.stderr.write(`merchant ${values.merchant} has no webhook endpoints\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

function isUuid(v: string | undefined): v is string {
  return v !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

async function withRepository(run: (repo: MerchantRepository) => Promise<number>): Promise<number> {
  const config = loadConfigOrExit();
  const ds = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 1, applicationName: 'tollgate-cli' }).initialize();
  try {
    return await run(new MerchantRepository(ds));
  } finally {
    await ds.destroy();
  }
}

runCli('merchant', () => main(process.argv.slice(2)), [PayToTakenError]);
