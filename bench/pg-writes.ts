/**
 * What Postgres wrote over a measured interval, per unit of work (issue #16: "Postgres per payment"): row
 * versions per table from `pg_stat_user_tables` (inserted, updated of which HOT, deleted), index entries
 * written — exact, counted from the WAL by wal-index-entries.ts, where this machine can read it; otherwise
 * the upper bound those versions imply (every insert and every non-HOT update adds one entry per index of the
 * table, but a partial index whose predicate the row does not match is skipped) — and WAL from `pg_stat_wal`.
 *
 * Caveats, printed with the table: `pg_stat_wal` is server-wide, so anything else writing on the same server
 * (other databases, the ANALYZE before each run) is included; backends publish their table counters when they
 * go idle, at the latest 10 s later (PGSTAT_IDLE_INTERVAL), so the end snapshot waits {@link STATS_SETTLE_MS}.
 */
import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { round } from './results';
import { startWalIndexCount, type IndexEntries } from './wal-index-entries';

/** Longer than Postgres's idle-backend stats flush interval (10 s in Postgres 15). */
const STATS_SETTLE_MS = 11_000;

interface TableWrites {
  table: string;
  inserted: number;
  updated: number;
  hot: number;
  deleted: number;
  indexes: number;
}

interface Snapshot {
  tables: Map<string, TableWrites>;
  walRecords: number;
  walBytes: number;
}

/** Writes per unit over one interval. */
export interface PgWrites {
  unit: string;
  units: number;
  /** Per table, totals over the interval (divide by `units`); tables without writes left out. */
  tables: TableWrites[];
  walRecords: number;
  walBytes: number;
  /** Index entries per table counted from the WAL (totals over the interval), or null where it cannot be read. */
  indexEntries: IndexEntries | null;
}

async function snapshot(db: DataSource): Promise<Snapshot> {
  const rows: Array<{ relname: string; ins: string; upd: string; hot: string; del: string; indexes: number }> = await db.query(
    `SELECT t.relname, t.n_tup_ins AS ins, t.n_tup_upd AS upd, t.n_tup_hot_upd AS hot, t.n_tup_del AS del,
            (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = t.relid) AS indexes
       FROM pg_stat_user_tables t`,
  );
  const [wal]: Array<{ records: string; bytes: string }> = await db.query(`SELECT wal_records AS records, wal_bytes AS bytes FROM pg_stat_wal`);
  const tables = new Map<string, TableWrites>();
  for (const r of rows) {
    tables.set(r.relname, { table: r.relname, inserted: Number(r.ins), updated: Number(r.upd), hot: Number(r.hot), deleted: Number(r.del), indexes: r.indexes });
  }
  return { tables, walRecords: Number(wal.records), walBytes: Number(wal.bytes) };
}

/**
 * Starts measuring; `stop(units)` waits for the backends' counters to be published, then answers the
 * difference. `unit` names what `units` counts (verify, payment); without `units`, the rows inserted into
 * `payments` are counted (each accepted verify inserts one).
 */
export async function startWrites(db: DataSource, unit: string): Promise<{ stop(units?: number): Promise<PgWrites> }> {
  const wal = await startWalIndexCount((db.options as PostgresConnectionOptions).url ?? '');
  const before = await snapshot(db);
  return {
    async stop(units?: number): Promise<PgWrites> {
      await new Promise((r) => setTimeout(r, STATS_SETTLE_MS));
      const after = await snapshot(db);
      const indexEntries = wal ? await wal.stop().catch(() => null) : null;
      const tables: TableWrites[] = [];
      for (const [name, a] of after.tables) {
        const b = before.tables.get(name) ?? { inserted: 0, updated: 0, hot: 0, deleted: 0 };
        const d = { table: name, inserted: a.inserted - b.inserted, updated: a.updated - b.updated, hot: a.hot - b.hot, deleted: a.deleted - b.deleted, indexes: a.indexes };
        if (d.inserted || d.updated || d.deleted) tables.push(d);
      }
      tables.sort((x, y) => y.inserted + y.updated + y.deleted - (x.inserted + x.updated + x.deleted));
      const accepted = tables.find((t) => t.table === 'payments')?.inserted ?? 0;
      return { unit, units: units ?? accepted, tables, walRecords: after.walRecords - before.walRecords, walBytes: after.walBytes - before.walBytes, indexEntries };
    },
  };
}

/** The per-unit Markdown table (and the one-line totals used by the JSON result). */
export function writesTable(w: PgWrites): string {
  const per = (x: number) => (w.units > 0 ? String(round(x / w.units, 2)) : '–');
  const bound = (t: TableWrites) => (t.inserted + t.updated - t.hot) * t.indexes;
  const exact = w.indexEntries;
  const entries = (t: TableWrites) => (exact ? per(exact.get(t.table) ?? 0) : `≤ ${per(bound(t))}`);
  const rows = w.tables.map((t) => [`\`${t.table}\``, per(t.inserted), `${per(t.updated)} (${per(t.hot)})`, per(t.deleted), per(t.inserted + t.updated + t.deleted), entries(t)]);
  const sum = (f: (t: TableWrites) => number) => w.tables.reduce((a, t) => a + f(t), 0);
  rows.push([
    '**all tables**',
    per(sum((t) => t.inserted)),
    `${per(sum((t) => t.updated))} (${per(sum((t) => t.hot))})`,
    per(sum((t) => t.deleted)),
    `**${per(sum((t) => t.inserted + t.updated + t.deleted))}**`,
    exact ? `**${per(sum((t) => exact.get(t.table) ?? 0))}** (≤ ${per(sum(bound))})` : `**≤ ${per(sum(bound))}**`,
  ]);
  const head = ['table', `rows inserted / ${w.unit}`, 'updated (HOT)', 'deleted', 'row versions written', 'index entries'];
  const out = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  out.push(
    '',
    `WAL (server-wide, so including anything else on this Postgres): ${per(w.walRecords)} records, ${per(w.walBytes)} bytes per ${w.unit}, ` +
      `over ${w.units.toLocaleString('en-US')} ${w.unit}s. ` +
      (exact
        ? 'Index entries: the index tuples written, counted from the WAL with `pg_waldump` (B-tree leaf inserts and leaf splits, hash inserts, per index of the table); in brackets the bound the table counters imply (inserts and non-HOT updates × the table\'s indexes).'
        : 'Index entries: inserts and non-HOT updates × the table\'s indexes (partial indexes may skip some; the WAL could not be read here to count them exactly).'),
  );
  return out.join('\n');
}

/** Compact totals per unit for `--json`. */
export function writesSummary(w: PgWrites): Record<string, number> {
  const per = (x: number) => (w.units > 0 ? round(x / w.units, 2) : 0);
  const sum = (f: (t: TableWrites) => number) => w.tables.reduce((a, t) => a + f(t), 0);
  return {
    rowVersions: per(sum((t) => t.inserted + t.updated + t.deleted)),
    hotUpdates: per(sum((t) => t.hot)),
    indexEntriesAtMost: per(sum((t) => (t.inserted + t.updated - t.hot) * t.indexes)),
    ...(w.indexEntries ? { indexEntries: per(sum((t) => w.indexEntries?.get(t.table) ?? 0)) } : {}),
    walRecords: per(w.walRecords),
    walBytes: per(w.walBytes),
  };
}
