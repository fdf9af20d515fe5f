import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * One partition of a history table: one per UTC day (`<parent>_pYYYYMMDD`), a `<parent>_legacy` partition for
 * everything before the table's migration, and `<parent>_default` for a row no partition covers.
 */
export interface HistoryPartition {
  name: string;
  /** Lower bound (inclusive); null = MINVALUE. */
  from: Date | null;
  /** Upper bound (exclusive); null for the default partition. */
  to: Date | null;
  isDefault: boolean;
}

/**
 * A table partitioned by range on `created_at`, one partition per UTC day: what differs between the two.
 * `exportColumns` is the column list of an archive file, in order.
 */
export interface HistoryTable {
  parent: 'payment_events' | 'payments_history' | 'svm_transactions_history';
  exportColumns: readonly string[];
}

/** `payment_events` (migration 1763930000000): every status transition of every payment. */
export const PAYMENT_EVENTS_HISTORY: HistoryTable = {
  parent: 'payment_events',
  exportColumns: ['id', 'payment_id', 'from_status', 'to_status', 'reason', 'detail', 'created_at', 'payment_ids'],
};

/**
 * `payments_history` (migration 1763980000000): payments that left the hot table, final and with their
 * authorization expired. Columns in table order (those of `payments`), so a file restores with a plain `COPY`.
 */
export const PAYMENTS_HISTORY: HistoryTable = {
  parent: 'payments_history',
  exportColumns: [
    'id', 'reference', 'merchant_id', 'x402_version', 'scheme', 'network', 'asset', 'payer', 'pay_to', 'amount', 'valid_after',
    'valid_before', 'expires_at', 'nonce', 'signature', 'status', 'settlement_mode', 'failure_reason', 'failure_message',
    'payment_identifier', 'batch_id', 'tx_hash', 'log_index', 'block_number', 'block_hash', 'attempts', 'requirements',
    'queued_at', 'included_at', 'confirmed_at', 'created_at', 'updated_at',
  ],
};

/**
 * `svm_transactions_history` (migration 1764050000000): the stored transactions of Solana payments that moved to
 * `payments_history` (they move together), by the day the transaction was signed. Columns in table order (those
 * of `svm_transactions`).
 */
export const SVM_TRANSACTIONS_HISTORY: HistoryTable = {
  parent: 'svm_transactions_history',
  exportColumns: ['payment_id', 'network', 'fee_payer', 'signature', 'blockhash', 'wire_transaction', 'broadcasts', 'last_broadcast_at', 'created_at', 'updated_at'],
};

/** Every history table, in the order `npm run archive` takes them. */
export const HISTORY_TABLES: readonly HistoryTable[] = [PAYMENT_EVENTS_HISTORY, PAYMENTS_HISTORY, SVM_TRANSACTIONS_HISTORY];

const DAY_MS = 86_400_000;
/**
 * DDL on the history waits at most this long for a lock, then gives up (the caller retries later): a DDL
 * statement waiting behind a long transaction holds up every statement that queues behind it meanwhile, so
 * the wait is kept short.
 */
const DDL_LOCK_TIMEOUT = '200ms';
/** Pause between two attempts of a DETACH that timed out on its lock. */
const DETACH_RETRY_PAUSE_MS = 500;

/** `<parent>_pYYYYMMDD` of the UTC day starting at `day` (`payment_events` by default). */
export const partitionName = (day: Date, parent: HistoryTable['parent'] = 'payment_events'): string =>
  `${parent}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;

/** Midnight UTC at or before `t`. */
export const utcDay = (t: Date): Date => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);

/** Reads one bound of `pg_get_expr(relpartbound)`: `MINVALUE`/`MAXVALUE` → null, else the quoted timestamp. */
function bound(text: string): Date | null {
  const m = /^'(.*)'$/.exec(text.trim());
  return m ? new Date(m[1]) : null;
}

/**
 * Creating, listing, exporting and dropping the partitions of one history table (`payment_events` unless told).
 * Everything here runs outside the hot path: it takes no lock that inserts into the current partition wait
 * for, except for a moment at DETACH (see {@link detach}), and each DDL statement gives up after
 * {@link DDL_LOCK_TIMEOUT} rather than queue in front of the ledger's writes.
 */
export class HistoryPartitions {
  readonly parent: HistoryTable['parent'];
  private readonly defaultPartition: string;
  /** Advisory lock key of this table's partition maintenance, so that several workers never create the same day at once. */
  private readonly maintenanceLock: string;

  constructor(private readonly dataSource: DataSource, readonly table: HistoryTable = PAYMENT_EVENTS_HISTORY) {
    this.parent = table.parent;
    this.defaultPartition = `${table.parent}_default`;
    this.maintenanceLock = `hashtextextended('tollgate:${table.parent.replace(/_/g, '-')}-partitions', 0)`;
  }

  private pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }

  /** Every partition, ordered by lower bound (the default partition last). */
  async list(): Promise<HistoryPartition[]> {
    const { rows } = await this.pool().query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '${this.parent}'::regclass`,
    );
    const parts = rows.map(({ name, bound: b }): HistoryPartition => {
      if (b === 'DEFAULT') return { name, from: null, to: null, isDefault: true };
      const m = /FROM \((.*)\) TO \((.*)\)/.exec(b);
      if (!m) throw new Error(`unexpected partition bound of ${name}: ${b}`);
      return { name, from: bound(m[1]), to: bound(m[2]), isDefault: false };
    });
    return parts.sort((a, b) => (a.isDefault ? 1 : b.isDefault ? -1 : (a.from?.getTime() ?? -Infinity) - (b.from?.getTime() ?? -Infinity)));
  }

  /**
   * Makes sure daily partitions exist from the last one's upper bound until `days` whole UTC days after
   * `now`'s day. Each new day is a table of its own with a CHECK of its range, filled with the rows of that
   * range the default partition caught (normally none), then attached (SHARE UPDATE EXCLUSIVE on the parent:
   * inserts carry on). Only one process does this at a time (advisory lock); a pass that cannot get a lock in
   * time stops and leaves the rest to the next pass.
   * @returns names of the partitions created.
   */
  async ensureAhead(days: number, now = new Date()): Promise<string[]> {
    const horizon = new Date(utcDay(now).getTime() + (days + 1) * DAY_MS);
    const created: string[] = [];
    let lastExisting: string | undefined;
    const client = await this.pool().connect();
    try {
      for (;;) {
        const last = (await this.list()).filter((p) => !p.isDefault).pop();
        const from = last?.to ?? utcDay(now);
        if (from.getTime() >= horizon.getTime()) return created;
        const to = new Date(utcDay(from).getTime() + DAY_MS);
        const name = partitionName(utcDay(from), this.parent);
        const outcome = await this.createOne(client, name, from, to);
        if (outcome === 'busy') return created;
        if (outcome === 'exists') {
          // Created meanwhile by another process: list again. A table of that name that is not attached
          // (a leftover of a failed archive run) would never show up in the list: say so instead of spinning.
          if (name === lastExisting) throw new Error(`${name} exists but is not a partition of ${this.parent}: archive or drop it`);
          lastExisting = name;
          continue;
        }
        created.push(name);
      }
    } finally {
      client.release();
    }
  }

  /**
   * One day's partition in one transaction: `busy` when another process holds the maintenance lock, `exists`
   * when another process created it between our listing and our lock (the caller lists again).
   */
  private async createOne(client: PoolClient, name: string, from: Date, to: Date): Promise<'created' | 'exists' | 'busy'> {
    const range = `created_at >= '${from.toISOString()}'::timestamptz AND created_at < '${to.toISOString()}'::timestamptz`;
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
      const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${this.maintenanceLock}) AS ok`);
      if (!rows[0].ok) {
        await client.query('ROLLBACK');
        return 'busy';
      }
      const { rows: existing } = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [name]);
      if (existing[0].found) {
        await client.query('ROLLBACK');
        return 'exists';
      }
      await client.query(`CREATE TABLE ${name} (LIKE ${this.parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await client.query(`ALTER TABLE ${name} ADD CONSTRAINT ck_${name}_range CHECK (${range})`);
      // Rows the default partition caught for this day move with it; the lock keeps new ones out meanwhile.
      await client.query(`LOCK TABLE ${this.defaultPartition} IN EXCLUSIVE MODE`);
      await client.query(`WITH moved AS (DELETE FROM ${this.defaultPartition} WHERE ${range} RETURNING *) INSERT INTO ${name} SELECT * FROM moved`);
      await client.query(`ALTER TABLE ${this.parent} ATTACH PARTITION ${name} FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`);
      await client.query('COMMIT');
      return 'created';
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Rows in one partition (or a detached one), counted exactly. */
  async count(name: string): Promise<number> {
    const { rows } = await this.pool().query<{ n: string }>(`SELECT count(*) AS n FROM ${this.checkName(name)}`);
    return Number(rows[0].n);
  }

  /**
   * Streams one partition (attached or detached) as `COPY … TO STDOUT` text (tab-separated, `\N` for NULL,
   * one line per row, columns {@link HistoryTable.exportColumns}, rows in stored order: sorting a whole day
   * would spill to disk, and `payment_events` has no index on id alone) through `transform` (e.g. gzip) into
   * `out`; resolves once `out` has finished.
   * @returns rows written.
   */
  async export(name: string, transform: Transform, out: Writable): Promise<number> {
    const client = await this.pool().connect();
    try {
      const stream = client.query(copyTo(`COPY (SELECT ${this.table.exportColumns.join(', ')} FROM ${this.checkName(name)}) TO STDOUT`));
      await pipeline(stream, transform, out);
      return stream.rowCount;
    } finally {
      client.release();
    }
  }

  /**
   * Detaches a partition. `DETACH PARTITION … CONCURRENTLY` is not allowed while the table has a default
   * partition, so this is the plain form: it needs ACCESS EXCLUSIVE on the parent for a moment, waits at most
   * {@link DDL_LOCK_TIMEOUT} for it (inserts queue behind a waiting DETACH, so it must not wait long) and is
   * tried up to `attempts` times, {@link DETACH_RETRY_PAUSE_MS} apart.
   */
  async detach(name: string, attempts = 25): Promise<void> {
    for (let i = 1; ; i++) {
      const client = await this.pool().connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
        await client.query(`ALTER TABLE ${this.parent} DETACH PARTITION ${this.checkName(name)}`);
        await client.query('COMMIT');
        return;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (i >= attempts || (e as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw e;
      } finally {
        client.release();
      }
      await new Promise((r) => setTimeout(r, DETACH_RETRY_PAUSE_MS));
    }
  }

  /** Drops a detached partition's table. */
  async drop(name: string): Promise<void> {
    const attached = (await this.list()).some((p) => p.name === name);
    if (attached) throw new Error(`${name} is still a partition of ${this.parent}; detach it first`);
    await this.pool().query(`DROP TABLE ${this.checkName(name)}`);
  }

  /** Partition names are built here or read from the catalog; anything else is refused before it reaches SQL. */
  private checkName(name: string): string {
    if (!new RegExp(`^${this.parent}_[a-z0-9_]+$`).test(name)) throw new Error(`not a ${this.parent} partition name: ${name}`);
    return name;
  }
}

/** SQLSTATE `lock_not_available` (lock_timeout expired). */
const LOCK_NOT_AVAILABLE = '55P03';
