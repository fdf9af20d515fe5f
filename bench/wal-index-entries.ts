/**
 * Exact index entries written over a measured interval, counted from the WAL (issue #16 asks for the index
 * entries touched per payment; `pg_stat_*` has no per-index insert counter, so pg-writes.ts can only give an
 * upper bound from the table counters).
 *
 * Every index tuple Postgres adds is WAL-logged as one record on the index: a B-tree `INSERT_LEAF` or
 * `INSERT_POST` (into a posting list), a leaf-level `SPLIT_L` / `SPLIT_R` (the split carries the new tuple),
 * or a hash `INSERT`. `pg_waldump` prints each with the relation's file node, which maps to the index and its
 * table. Only possible where the bench's Postgres runs on this machine and its data directory is readable
 * (the bench's default); otherwise {@link startWalIndexCount} answers null and the report keeps the bound.
 *
 * A temporary physical replication slot, held on a connection of its own for the interval, keeps Postgres
 * from recycling the interval's WAL segments at a checkpoint before they are read; it disappears with that
 * connection, so an interrupted bench leaves nothing behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';

/** Index tuples added per table over the interval (partitions by their own name). */
export type IndexEntries = Map<string, number>;

const INSERT_RECORD = /^rmgr: (Btree|Hash)\s.*?desc: (INSERT_LEAF|INSERT_POST|INSERT|SPLIT_L|SPLIT_R)\b(?: level (\d+))?.*?blkref #0: rel \d+\/(\d+)\/(\d+)/;

/** The `pg_waldump` of the server's major version, if installed. */
function waldumpPath(major: number): string | undefined {
  const debian = `/usr/lib/postgresql/${major}/bin/pg_waldump`;
  if (existsSync(debian)) return debian;
  const which = spawnSync('sh', ['-c', 'command -v pg_waldump'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/**
 * Starts counting on the database at `url`; `stop()` answers the entries per table, or throws when the WAL
 * could not be read. Answers null when this machine cannot count (no `pg_waldump`, a remote or unreadable data
 * directory, no right to create a replication slot).
 */
export async function startWalIndexCount(url: string): Promise<{ stop(): Promise<IndexEntries> } | null> {
  const client = new Client({ connectionString: url, application_name: 'tollgate-bench-wal' });
  try {
    await client.connect();
    const [{ dir, major, db }] = (
      await client.query<{ dir: string; major: string; db: string }>(
        `SELECT current_setting('data_directory') AS dir, current_setting('server_version_num')::int / 10000 AS major,
                (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS db`,
      )
    ).rows;
    const waldump = waldumpPath(Number(major));
    const walDir = join(dir, 'pg_wal');
    accessSync(walDir, constants.R_OK);
    if (!waldump) throw new Error('no pg_waldump');
    await client.query(`SELECT pg_create_physical_replication_slot($1, true, true)`, [`tollgate_bench_${process.pid}`]);
    const [{ lsn: start }] = (await client.query<{ lsn: string }>(`SELECT pg_current_wal_insert_lsn()::text AS lsn`)).rows;
    return {
      async stop(): Promise<IndexEntries> {
        try {
          const [{ lsn: end }] = (await client.query<{ lsn: string }>(`SELECT pg_current_wal_flush_lsn()::text AS lsn`)).rows;
          const byNode = await countByFileNode(waldump, walDir, start, end, db);
          const { rows } = await client.query<{ node: string; tbl: string }>(
            `SELECT c.relfilenode::text AS node, t.relname AS tbl FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE c.relfilenode <> 0`,
          );
          const tableOf = new Map(rows.map((r) => [r.node, r.tbl]));
          const entries: IndexEntries = new Map();
          for (const [node, n] of byNode) {
            const table = tableOf.get(node);
            if (table) entries.set(table, (entries.get(table) ?? 0) + n);
          }
          return entries;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    };
  } catch {
    await client.end().catch(() => undefined);
    return null;
  }
}

/** Index-tuple insert records between two LSNs, per relation file node of database `db`. */
async function countByFileNode(waldump: string, walDir: string, start: string, end: string, db: string): Promise<Map<string, number>> {
  const child = spawn(waldump, ['-p', walDir, '-s', start, '-e', end], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const counts = new Map<string, number>();
  for await (const line of createInterface({ input: child.stdout })) {
    const m = INSERT_RECORD.exec(line);
    if (!m || m[4] !== db) continue;
    // Hash INSERT and B-tree leaf inserts add a tuple; a split adds one only at the leaf level (level 0).
    if (m[1] === 'Hash' ? m[2] !== 'INSERT' : m[2] === 'INSERT' || (m[2].startsWith('SPLIT') && m[3] !== '0')) continue;
    counts.set(m[5], (counts.get(m[5]) ?? 0) + 1);
  }
  const code: number | null = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', r)));
  // pg_waldump exits 1 after printing everything when the last record ends exactly at `end`: only a missing
  // segment or an unreadable record is a failure.
  if (code !== 0 && /could not find|could not open|invalid record/i.test(stderr)) throw new Error(`pg_waldump: ${stderr.trim().split('\n')[0]}`);
  return counts;
}
