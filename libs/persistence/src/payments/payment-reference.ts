/**
 * Payment references (migration 1764010000000). A reference the API mints (`pay_` and 22 base64url characters)
 * encodes 16 bytes, and a payment created with it takes those bytes as its id. A lookup by reference is then a
 * primary-key lookup, and `payments` keeps no unique index of every reference: an index on an immutable
 * column still takes an entry at every one of a payment's row versions (no transition is a HOT update), five
 * per payment end to end. Only references that encode no id, or not their payment's (those minted before the
 * migration, or passed in by a test), are kept in the partial unique index `uq_payments_reference_unencoded`
 * (and `idx_payments_history_reference_unencoded`).
 *
 * Knowing a payment's id therefore means knowing its reference: both reach the same parties (the merchant
 * and the operator); the public status lookup is by reference only, as before.
 */

/**
 * SQL condition: row `alias` is the payment of the reference in `param` (a placeholder or literal). A primary-key
 * lookup for a reference that encodes its payment's id, else one probe of the partial index of other
 * references (`tollgate_payment_id`, evaluated once per statement as an InitPlan, not once per partition).
 */
export const referenceMatchSql = (alias: string, param: string): string =>
  `(${alias}.id = (SELECT tollgate_payment_id(${param})) AND ${alias}.reference = ${param})`;

/** `tollgate_reference_id(ref)`: the id a minted reference encodes, NULL for any other text. IMMUTABLE (it is in index predicates). */
export const REFERENCE_ID_FUNCTION_SQL = `
  CREATE OR REPLACE FUNCTION tollgate_reference_id(ref text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN ref ~ '^pay_[A-Za-z0-9_-]{22}$'
                THEN encode(decode(translate(substr(ref, 5), '-_', '+/') || '==', 'base64'), 'hex')::uuid END
  $fn$`;

/** Partial-index predicate: the reference does not encode the row's id (so only the unique index finds it). */
export const UNENCODED_REFERENCE_SQL = `id IS DISTINCT FROM tollgate_reference_id(reference)`;

/**
 * `tollgate_payment_id(ref)`: the id of the payment of a reference, wherever it is kept: an unencoded reference
 * in `payments` or `payments_history` (partial indexes), else the id the reference encodes (the caller still
 * compares the reference itself).
 */
export const PAYMENT_ID_FUNCTION_SQL = `
  CREATE OR REPLACE FUNCTION tollgate_payment_id(ref text) RETURNS uuid
  LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
  DECLARE
    v_id uuid;
  BEGIN
    -- plpgsql, not sql: its statements' plans are cached per connection (a lookup is ≈ 0.1 ms, not 2).
    SELECT id INTO v_id FROM payments WHERE reference = ref AND ${UNENCODED_REFERENCE_SQL};
    IF v_id IS NULL THEN
      SELECT id INTO v_id FROM payments_history WHERE reference = ref AND ${UNENCODED_REFERENCE_SQL} LIMIT 1;
    END IF;
    RETURN coalesce(v_id, tollgate_reference_id(ref));
  END
  $fn$`;
