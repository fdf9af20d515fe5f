import type { DataSource } from 'typeorm';

/** Statuses a payment never leaves (payment-status.ts): only these move to `payments_history`. */
const FINAL = `('confirmed', 'failed', 'lapsed')`;

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
   * workers may run this at once). No event is written: the payment's state does not change, only where it
   * is kept.
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
       kept AS (INSERT INTO payments_history SELECT * FROM moved RETURNING 1)
       SELECT count(*)::int AS n FROM kept`,
      [opts.hotSeconds, opts.limit],
    );
    return rows[0].n;
  }
}
