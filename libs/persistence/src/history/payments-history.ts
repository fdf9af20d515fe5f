import type { DataSource } from 'typeorm';
import { FINAL_STATUSES } from '../payments/payment-status';

/** Statuses a payment never leaves, as an SQL list: only these move to `payments_history`. */
const FINAL = `(${FINAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * The move of finished payments out of the hot table (migration 1763980000000). `payments` holds what is in
 * flight and what finished recently; `payments_history`, partitioned by UTC day on `created_at`, holds the rest
 * until `npm run archive` exports and drops its days. Readers that may meet an old payment (merchant API,
 * public status, console, webhook delivery log) read the view `payments_all`; the settlement paths and the
 * accept rule read `payments` only.
 */
export class PaymentsHistory {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Moves up to `limit` payments, oldest `created_at` first, that are final (`confirmed`, `failed`, `lapsed`),
   * whose authorization has expired (`valid_before`, unix seconds, before Postgres's `now()`: it can never
   * verify again, so the hot table's unique authorization index still guards every one that can) and that
   * have not changed for `hotSeconds` (seconds), from `payments` to `payments_history`: one statement, so a
   * payment is in exactly one of the two at every instant. Rows another transaction holds are skipped (several
   * workers may run this at once). A Solana payment's stored transaction (`svm_transactions`) moves with it,
   * in the same statement, to `svm_transactions_history` (migration 1764050000000), found through its primary key
   * (`= ANY (ARRAY(…))`, never a join the planner could turn into a scan of the table); a data-modifying CTE runs
   * whether or not the outer query reads it. No event is written: the
   * payment's state does not change, only where it is kept.
   * @returns payments moved.
   */
  async moveFinal(opts: { hotSeconds: number; limit: number }): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `WITH picked AS (
         SELECT id FROM payments
          WHERE status IN ${FINAL} AND updated_at < now() - make_interval(secs => $1) AND valid_before < extract(epoch FROM now())
          ORDER BY created_at LIMIT $2
          FOR UPDATE SKIP LOCKED),
       moved AS (DELETE FROM payments p USING picked WHERE p.id = picked.id RETURNING p.*),
       kept AS (INSERT INTO payments_history SELECT * FROM moved RETURNING 1),
       svm_moved AS (
         DELETE FROM svm_transactions s WHERE s.payment_id = ANY (ARRAY(SELECT id FROM moved WHERE network LIKE 'solana:%')) RETURNING s.*),
       svm_kept AS (INSERT INTO svm_transactions_history SELECT * FROM svm_moved)
       SELECT count(*)::int AS n FROM kept`,
      [opts.hotSeconds, opts.limit],
    );
    return rows[0].n;
  }
}

/**
 * The three places a payment may be, each with the condition under which its indexes serve: finished payments in
 * `payments` (the readers' partial indexes), payments in flight (`idx_payments_open_status`, whose predicate is
 * the complement), and `payments_history`.
 */
const LEGS: ReadonlyArray<{ table: string; status: string }> = [
  { table: 'payments', status: `p.status IN ${FINAL}` },
  { table: 'payments', status: `p.status NOT IN ${FINAL}` },
  { table: 'payments_history', status: 'true' },
];

/**
 * Every payment (hot and history) matching `where`, newest first (`created_at DESC, id DESC`), one page. The
 * hot table's readers' indexes (merchant, payer, time, nonce, tx hash) cover finished payments only (migration
 * 1763990000000), so the statement reads three legs, each ordered and cut to `offset + limit` rows on its own
 * index: finished payments in `payments`, payments in flight (few; `idx_payments_open_status`), and
 * `payments_history`; the outer query merges them.
 * @param select column list over alias `p`; it must hold `p.created_at` and `p.id` (the outer order).
 * @param from what follows `FROM <table> p` in each leg (joins), if anything.
 * @param where conditions over alias `p` (and the joins), ANDed; their placeholders are the caller's.
 * @param limit rows in the page; `offset` rows skipped before it.
 */
export function newestPaymentsSql(o: { select: string; from?: string; where: readonly string[]; limit: number | string; offset?: number }): string {
  const cond = o.where.map((w) => ` AND ${w}`).join('');
  const cut = o.offset ? `${o.limit} + ${o.offset}` : `${o.limit}`;
  const legs = LEGS.map(
    (l) => `(SELECT ${o.select} FROM ${l.table} p ${o.from ?? ''} WHERE ${l.status}${cond} ORDER BY p.created_at DESC, p.id DESC LIMIT ${cut})`,
  );
  return `SELECT * FROM (${legs.join(' UNION ALL ')}) newest
    ORDER BY newest.created_at DESC, newest.id DESC LIMIT ${o.limit}${o.offset ? ` OFFSET ${o.offset}` : ''}`;
}

/**
 * The three legs of {@link newestPaymentsSql} without order or limit, for an aggregate over every payment
 * matching `where`: `SELECT … FROM (${paymentLegsSql(…)}) p GROUP BY …`.
 * @param select column list over alias `p`.
 * @param where conditions over alias `p`, ANDed; their placeholders are the caller's.
 */
export function paymentLegsSql(o: { select: string; where: readonly string[] }): string {
  const cond = o.where.map((w) => ` AND ${w}`).join('');
  return LEGS.map((l) => `SELECT ${o.select} FROM ${l.table} p WHERE ${l.status}${cond}`).join(' UNION ALL ');
}
