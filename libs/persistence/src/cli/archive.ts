import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@tollgate/config';
import { createDataSource } from '../data-source';
import { archiveHistory } from '../history/archive';

const USAGE = `usage: npm run archive -- [--before <date>] [--out <dir>]

Exports every closed daily partition of payment_events, then of payments_history, then of svm_transactions_history,
that ended at or before --before to <dir>/<partition>.tsv.gz (COPY text; payment_events: id, payment_id, from_status,
to_status, reason, detail, created_at, payment_ids; payments_history and svm_transactions_history: the columns of
payments and of svm_transactions, in table order), checks the row counts, then detaches and drops it. --before defaults to now minus HISTORY_RETENTION_DAYS; --out to ./archive.`;

/** `npm run archive`: the retention policy's archive step (see README "Payment history"). Exit 64 on bad flags. */
async function main(): Promise<void> {
  let values: { before?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { before: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(64);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfigOrExit();
  const before = values.before ? new Date(values.before) : new Date(Date.now() - config.history.retentionDays * 86_400_000);
  if (Number.isNaN(before.getTime())) {
    process.stderr.write(`--before: not a date: ${values.before}\n${USAGE}\n`);
    process.exit(64);
  }
  const ds = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 2, applicationName: 'tollgate-archive' }).initialize();
  try {
    const done = await archiveHistory(ds, { before, outDir: values.out ?? 'archive', log: (l) => process.stdout.write(`${l}\n`) });
    process.stdout.write(done.length ? `archived ${done.length} partition(s), ${done.reduce((n, p) => n + p.rows, 0)} rows\n` : `nothing closed before ${before.toISOString()}\n`);
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`archive failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
