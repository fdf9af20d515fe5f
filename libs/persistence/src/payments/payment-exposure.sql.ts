/**
 * The maintained exposure behind the accept rule's guards (accept-payment.sql.ts): what a payer, and a
 * merchant, have accepted but not yet settled, kept as running totals in `payment_exposure` so a guard reads
 * a handful of rows instead of summing every in-flight payment (issue #16: one payer with 10,000 payments in
 * flight cost 1.2 ms of Postgres CPU per verify, and growing).
 *
 * This file is the source of truth for the two functions below; migration 1763920000000 installs them (a
 * change = edit here AND add a migration that runs {@link PAYMENT_EXPOSURE_SQL} again;
 * payment-exposure.int-spec.ts fails while the installed text differs).
 *
 * What counts (exactly today's guard): a payment in `queued`, `batched` or `submitted` counts whatever the time;
 * a `verified` one counts while `expires_at > now()`. So every such payment contributes its amount to one
 * bucket per party — party `payer` (key: network, asset, payer) and party `merchant` (merchant id, network,
 * asset) — the bucket being its `expires_at` when verified and `'infinity'` otherwise. A guard sums the
 * party's buckets with `expires_at > now()`: exact, and bounded by the distinct expiry instants (seconds) of
 * its verified payments, not by how many are in flight.
 *
 * Maintenance: statement-level AFTER INSERT / UPDATE / DELETE triggers on `payments` with transition tables,
 * so no code path can forget it (the ledger, workers, operator tools, tests' direct UPDATEs) and it commits or
 * rolls back with the payment rows: any snapshot sees totals equal to the ground-truth SUM over `payments`.
 * A statement's rows are aggregated per bucket (a worker moving 100 payments of one payer writes once; a move
 * that stays inside one bucket, such as queued → batched → submitted, writes nothing).
 *
 * Contention: a bucket may hold several partial rows whose sum is the total. A writer adds to any row of the
 * bucket that nobody else holds (`FOR UPDATE SKIP LOCKED`) or inserts a new one, so it never waits for
 * another transaction: no new lock waits and no deadlocks on the hot path, even when every payer pays the
 * same merchant. The sweeper folds a bucket's rows into one and deletes rows summing to zero
 * ({@link COMPACT_EXPOSURE_SQL}); both keep every sum unchanged, so the totals stay exact at every instant.
 * Expired buckets reach zero when the sweeper lapses their payments, and then disappear.
 */

const UNSETTLED = `('verified', 'queued', 'batched', 'submitted')`;

/** One signed contribution per party for each unsettled row of a transition table. */
function contributions(rows: string, sign: '' | '-'): string {
  return `SELECT c.party, c.party_id, r.network, r.asset,
                 CASE WHEN r.status = 'verified' THEN r.expires_at ELSE 'infinity'::timestamptz END AS expires_at, ${sign}r.amount AS amount
            FROM ${rows} r CROSS JOIN LATERAL (VALUES ('payer', r.payer), ('merchant', r.merchant_id::text)) AS c(party, party_id)
           WHERE r.status IN ${UNSETTLED}`;
}

/** The statement's net change per bucket, zero changes left out. */
function deltas(parts: string[]): string {
  return `SELECT d.party, d.party_id, d.network, d.asset, d.expires_at, sum(d.amount) AS amount
            FROM (${parts.join(' UNION ALL ')}) d
           GROUP BY d.party, d.party_id, d.network, d.asset, d.expires_at
          HAVING sum(d.amount) <> 0`;
}

/** Adds to a bucket without waiting: into a partial row no other transaction holds, else a new row. */
export const EXPOSURE_ADD_BODY = `
  BEGIN
    UPDATE payment_exposure SET amount = amount + p_amount
     WHERE id = (SELECT e.id FROM payment_exposure e
                  WHERE e.party = p_party AND e.party_id = p_party_id AND e.network = p_network AND e.asset = p_asset
                    AND e.expires_at = p_expires_at
                  LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF NOT FOUND THEN
      INSERT INTO payment_exposure (party, party_id, network, asset, expires_at, amount)
      VALUES (p_party, p_party_id, p_network, p_asset, p_expires_at, p_amount);
    END IF;
  END
`;

/** The trigger body: one branch per operation (each names only the transition tables it has). */
export const EXPOSURE_TRIGGER_BODY = `
  DECLARE
    v_delta record;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      FOR v_delta IN ${deltas([contributions('new_rows', '')])} LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.expires_at, v_delta.amount);
      END LOOP;
    ELSIF TG_OP = 'UPDATE' THEN
      FOR v_delta IN ${deltas([contributions('new_rows', ''), contributions('old_rows', '-')])} LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.expires_at, v_delta.amount);
      END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
      FOR v_delta IN ${deltas([contributions('old_rows', '-')])} LOOP
        PERFORM tollgate_exposure_add(v_delta.party, v_delta.party_id, v_delta.network, v_delta.asset, v_delta.expires_at, v_delta.amount);
      END LOOP;
    ELSE
      DELETE FROM payment_exposure;
    END IF;
    RETURN NULL;
  END
`;

/** Installs (CREATE OR REPLACE) both functions; the triggers themselves are created by the migration. */
export const PAYMENT_EXPOSURE_SQL = [
  `CREATE OR REPLACE FUNCTION tollgate_exposure_add(
     p_party text, p_party_id text, p_network text, p_asset text, p_expires_at timestamptz, p_amount numeric
   ) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$${EXPOSURE_ADD_BODY}$fn$`,
  `CREATE OR REPLACE FUNCTION tollgate_payments_exposure() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $fn$${EXPOSURE_TRIGGER_BODY}$fn$`,
];

/**
 * The ground truth the maintained rows must equal, per bucket (the test compares them): the same
 * contributions computed from `payments` directly.
 */
export const EXPOSURE_GROUND_TRUTH_SQL = deltas([contributions('payments', '')]);

/**
 * Folds partial rows (sweeper): for up to 1,000 buckets that have several rows or a zero row, the rows nobody
 * holds are replaced by one row with their sum, or by none when it is zero. A held row is skipped and stays
 * as it is, so the sum of every bucket is unchanged whatever runs concurrently. Answers one row:
 * `{ folded, deleted }` (rows rewritten and rows removed).
 */
export const COMPACT_EXPOSURE_SQL = `
  WITH candidates AS (
    SELECT party, party_id, network, asset, expires_at FROM payment_exposure
     GROUP BY party, party_id, network, asset, expires_at
    HAVING count(*) > 1 OR bool_or(amount = 0)
     LIMIT 1000
  ), held AS (
    SELECT e.id, e.party, e.party_id, e.network, e.asset, e.expires_at, e.amount
      FROM payment_exposure e JOIN candidates c USING (party, party_id, network, asset, expires_at)
       FOR UPDATE OF e SKIP LOCKED
  ), totals AS (
    SELECT party, party_id, network, asset, expires_at, sum(amount) AS total, min(id) AS keep_id, count(*) AS n
      FROM held GROUP BY party, party_id, network, asset, expires_at
  ), folded AS (
    UPDATE payment_exposure e SET amount = t.total FROM totals t
     WHERE e.id = t.keep_id AND t.total <> 0 AND t.n > 1
    RETURNING e.id
  ), deleted AS (
    DELETE FROM payment_exposure e USING held h JOIN totals t USING (party, party_id, network, asset, expires_at)
     WHERE e.id = h.id AND (t.total = 0 OR h.id <> t.keep_id)
    RETURNING e.id
  )
  SELECT (SELECT count(*) FROM folded)::int AS folded, (SELECT count(*) FROM deleted)::int AS deleted`;
