import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip, createGzip } from 'node:zlib';
import type { DataSource } from 'typeorm';
import { HISTORY_TABLES, HistoryPartitions, PAYMENT_EVENTS_HISTORY, type HistoryTable } from './history-partitions';

/** One archived partition. */
export interface ArchivedPartition {
  /** `payment_events`, `payments_history` or `svm_transactions_history`. */
  table: HistoryTable['parent'];
  partition: string;
  /** Rows exported, counted in the file and in the detached table (all three equal, or nothing is dropped). */
  rows: number;
  /** The gzip'd `COPY` text file. */
  file: string;
}

/** Lines in a gzip'd file (one per row in `COPY` text format, which escapes newlines inside values). */
export async function countGzipLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** What {@link archivePartitions} takes: the cut-off instant, the output folder, and optionally now and a progress log. */
export interface ArchiveOptions {
  before: Date;
  outDir: string;
  now?: Date;
  log?: (line: string) => void;
}

/**
 * `npm run archive`: {@link archivePartitions} of `payment_events`, then of `payments_history`, then of
 * `svm_transactions_history`.
 * @returns every partition archived, events first.
 */
export async function archiveHistory(dataSource: DataSource, opts: ArchiveOptions): Promise<ArchivedPartition[]> {
  const done: ArchivedPartition[] = [];
  for (const table of HISTORY_TABLES) done.push(...(await archivePartitions(dataSource, table, opts)));
  return done;
}

/** {@link archivePartitions} of `payment_events` alone. */
export const archiveEventPartitions = (dataSource: DataSource, opts: ArchiveOptions): Promise<ArchivedPartition[]> =>
  archivePartitions(dataSource, PAYMENT_EVENTS_HISTORY, opts);

/**
 * Exports every closed partition of one history table whose upper bound is at or before
 * `before` (and before `now`: the partition being written is never closed) to `<outDir>/<partition>.tsv.gz`,
 * then detaches and drops it. Per partition: COPY to a temporary file, DETACH (from then on no writer can
 * reach the table), count the detached table and the file's lines; only when the export, the file and the
 * table agree is the file renamed into place and the table dropped. On a mismatch it exports the detached
 * table once more; if that still disagrees it stops with an error, leaving the detached table and the file
 * for an operator. The default partition is never archived.
 * @param log progress lines (one per partition).
 */
export async function archivePartitions(dataSource: DataSource, table: HistoryTable, opts: ArchiveOptions): Promise<ArchivedPartition[]> {
  const partitions = new HistoryPartitions(dataSource, table);
  const now = opts.now ?? new Date();
  const closed = (await partitions.list()).filter((p) => !p.isDefault && p.to !== null && p.to <= opts.before && p.to <= now);
  await mkdir(opts.outDir, { recursive: true });
  const done: ArchivedPartition[] = [];
  for (const p of closed) {
    const file = join(opts.outDir, `${p.name}.tsv.gz`);
    const partial = `${file}.partial`;
    const exportTo = async (): Promise<number> => partitions.export(p.name, createGzip(), createWriteStream(partial));
    let exported = await exportTo();
    await partitions.detach(p.name);
    let [inTable, inFile] = [await partitions.count(p.name), await countGzipLines(partial)];
    if (exported !== inTable || inFile !== inTable) {
      exported = await exportTo();
      [inTable, inFile] = [await partitions.count(p.name), await countGzipLines(partial)];
      if (exported !== inTable || inFile !== inTable) {
        throw new Error(`${p.name}: exported ${exported} rows, file holds ${inFile}, table holds ${inTable}; the table stays detached, not dropped (${partial})`);
      }
    }
    await rename(partial, file);
    await partitions.drop(p.name);
    opts.log?.(`${p.name}: ${inTable} rows → ${file}`);
    done.push({ table: table.parent, partition: p.name, rows: inTable, file });
  }
  return done;
}
