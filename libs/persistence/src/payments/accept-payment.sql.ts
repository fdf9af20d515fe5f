import { exposureHorizonSql, exposureTotalSql, type ExposureRule } from './payment-exposure.sql';

/**
 * The accept rule: the ledger half of `/verify` (and of a `/settle` that must verify), as the one Postgres
 * function `tollgate_accept_payment(...)`. This file is its source of truth; {@link PaymentLedger.accept}
 * calls it and migration 1763920000000 installs this exact text (CREATE OR REPLACE). Earlier migrations
 * (1763780000000 created it, 1763790000000 forced custom plans, 1763800000000 undid that, 1763830500000
 * moved it here) are history.
 * Changing the rule = editing this file AND adding a migration that runs {@link ACCEPT_PAYMENT_SQL} again;
 * `accept-payment.int-spec.ts` fails while the installed definition differs from this file.
 *
 * One round trip instead of seven (BEGIN, payer lock, duplicate check, payer exposure, merchant exposure,
 * INSERT, COMMIT). The payment row is the record of its acceptance: no `→ verified` event row is written (migration
 * 1764020000000; `tollgate_payment_events` answers it from the row, payment-events.sql.ts). Correctness rests on two Postgres facts: the advisory lock taken by the statement's
 * own transaction is held until it commits, and every statement inside a VOLATILE plpgsql function takes a
 * fresh snapshot (READ COMMITTED), so the checks after the lock see every payment committed by the verify that
 * held it before us. Locks are always taken payer first, then merchant, so concurrent calls cannot deadlock.
 *
 * The exposure guards read the maintained totals of `payment_exposure` (payment-exposure.sql.ts: per payer and
 * per merchant, bucketed by expiry, kept by triggers on `payments` in the same transaction), so their cost does
 * not grow with the payments in flight. Same semantics as summing `payments`: unsettled = verified, queued, batched
 * or submitted while `expires_at` (`validBefore`) is less than `EXPOSURE_GRACE_SECONDS` past (migration
 * 1764030000000; past it no chain can settle the payment); a retry of a still-verified payment does not count itself,
 * which is why its own amount is subtracted in the same statement (one snapshot for both).
 *
 * Plans stay cached per connection (no `plan_cache_mode` setting): forcing custom plans cost ≈ 40 % of each
 * call (0.60 against 0.37 ms), and Postgres re-plans when `payments` statistics change (see 1763800000000).
 * Both functions run with `enable_seqscan = off` (hot-path-plans.sql.ts, migration 1763970000000), so a plan
 * cached while the tables were small is still an index plan once they have grown; re-installing either with
 * CREATE OR REPLACE drops that setting, so such a migration applies HOT_PATH_PLAN_SQL again.
 *
 * A created payment's id is the one its reference encodes (`tollgate_reference_id`, payment-reference.ts), so
 * it is found by reference through the primary key; a reference that encodes none (not minted by the API)
 * gets a random id and is found through the unique index of such references.
 *
 * Outcomes: created | retry (same authorization, still merely verified) | already_settled (detail =
 * status[:failure_reason]) | nonce_conflict | payer_exposure (detail = unsettled total) |
 * merchant_exposure (detail = unsettled total).
 */

/** The function's identity (name and argument types), for ALTER/DROP and catalog lookups. */
export const ACCEPT_PAYMENT_SIGNATURE =
  'tollgate_accept_payment(text, text, text, text, text, uuid, numeric, numeric, numeric, text, smallint, text, text, numeric, numeric, timestamptz, text, jsonb)';

/**
 * The plpgsql body, exactly as Postgres stores it (`pg_proc.prosrc`). `verifiedEvent`: also write the payment's
 * `→ verified` row to `payment_events`, as before migration 1764020000000 (its down); since then the payment row
 * itself records its acceptance (payment-events.sql.ts).
 */
function acceptPaymentBody(verifiedEvent: boolean, rule: ExposureRule = 'until-expiry'): string {
  return `
  DECLARE
    v_id uuid;
    v_reference text;
    v_status text;
    v_merchant uuid;
    v_signature text;
    v_failure text;
    v_total numeric;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_network || '|' || p_asset || '|' || p_payer, 0));
    SELECT p.id, p.reference, p.status, p.merchant_id, p.signature, p.failure_reason
      INTO v_id, v_reference, v_status, v_merchant, v_signature, v_failure
      FROM payments p
     WHERE p.network = p_network AND p.asset = p_asset AND p.payer = p_payer AND p.nonce = p_nonce;
    IF v_id IS NOT NULL THEN
      IF v_status <> 'verified' THEN
        RETURN QUERY SELECT 'already_settled'::text, v_id, v_reference, v_status || coalesce(':' || v_failure, '');
        RETURN;
      END IF;
      IF v_signature <> p_signature OR v_merchant <> p_merchant_id THEN
        RETURN QUERY SELECT 'nonce_conflict'::text, v_id, NULL::text, NULL::text;
        RETURN;
      END IF;
    END IF;
    IF p_payer_balance IS NOT NULL THEN
      SELECT ${exposureTotalSql('payer', 'p_payer', 'p_network', 'p_asset', rule)} INTO v_total;
      IF v_total + p_amount > p_payer_balance THEN
        RETURN QUERY SELECT 'payer_exposure'::text, NULL::uuid, NULL::text, v_total::text;
        RETURN;
      END IF;
    END IF;
    IF p_merchant_max_exposure IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock(hashtextextended('merchant-exposure|' || p_merchant_id || '|' || p_network || '|' || p_asset, 0));
      SELECT ${exposureTotalSql('merchant', 'p_merchant_id::text', 'p_network', 'p_asset', rule)} INTO v_total;
      IF v_total + p_amount > p_merchant_max_exposure THEN
        RETURN QUERY SELECT 'merchant_exposure'::text, NULL::uuid, NULL::text, v_total::text;
        RETURN;
      END IF;
    END IF;
    IF v_id IS NOT NULL THEN
      RETURN QUERY SELECT 'retry'::text, v_id, v_reference, NULL::text;
      RETURN;
    END IF;
    INSERT INTO payments (id, reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                          valid_after, valid_before, expires_at, nonce, signature, status, payment_identifier, requirements)
    VALUES (coalesce(tollgate_reference_id(p_reference), gen_random_uuid()), p_reference, p_merchant_id, p_x402_version, p_scheme, p_network, p_asset, p_payer, p_pay_to, p_amount,
            p_valid_after, p_valid_before, p_expires_at, p_nonce, p_signature, 'verified', p_payment_identifier, p_requirements)
    RETURNING id INTO v_id;${verifiedEvent ? `
    INSERT INTO payment_events (payment_id, from_status, to_status) VALUES (v_id, NULL, 'verified');` : ''}
    RETURN QUERY SELECT 'created'::text, v_id, p_reference, NULL::text;
  END
`;
}

/** The plpgsql body, exactly as Postgres stores it (`pg_proc.prosrc`). */
export const ACCEPT_PAYMENT_BODY = acceptPaymentBody(false);

const acceptPaymentSql = (body: string): string => `CREATE OR REPLACE FUNCTION tollgate_accept_payment(
  p_network text, p_asset text, p_payer text, p_nonce text, p_signature text, p_merchant_id uuid,
  p_amount numeric, p_payer_balance numeric, p_merchant_max_exposure numeric,
  p_reference text, p_x402_version smallint, p_scheme text, p_pay_to text,
  p_valid_after numeric, p_valid_before numeric, p_expires_at timestamptz,
  p_payment_identifier text, p_requirements jsonb
) RETURNS TABLE (outcome text, payment_id uuid, payment_reference text, detail text)
LANGUAGE plpgsql VOLATILE AS $fn$${body}$fn$`;

/** Installs the rule: CREATE OR REPLACE keeps the function's owner and grants. */
export const ACCEPT_PAYMENT_SQL = acceptPaymentSql(ACCEPT_PAYMENT_BODY);

/** The many-call function's identity, for ALTER/DROP and catalog lookups. */
export const ACCEPT_PAYMENTS_SIGNATURE =
  'tollgate_accept_payments(text[], text[], text[], text[], text[], uuid[], numeric[], numeric[], text[], smallint[], text[], text[], numeric[], numeric[], timestamptz[], text[], jsonb[])';

/**
 * The same rule for many calls at once (`tollgate_accept_payments`, the arguments as arrays, no merchant
 * maximum: calls with one run alone through the single function): answers exactly what the single function
 * called once per element, in lock order, would answer, but writes every created payment with one INSERT.
 * The triggers on `payments` (exposure buckets, console rollups) are statement-level, so they then fire once
 * per call of this function instead of once per payment:
 * most of an accept's Postgres CPU (issue #16).
 *
 * Calls are taken in payer-lock order (lock key, then nonce, in the C collation), so a payer's calls are
 * adjacent and two copies of one authorization are next to each other. What the single function would see
 * in `payments` from an earlier call of this batch is carried in variables instead: the payer's running
 * total of created payments that count (expiry after the horizon, the guard's rule) is added to the maintained
 * total, and a repeat of an authorization created earlier in the batch is a retry of it (its own amount taken
 * out, as for a committed one), or a nonce conflict. Returns one row per element, `ord` = its 1-based index.
 */
function acceptPaymentsBody(verifiedEvent: boolean, rule: ExposureRule = 'until-expiry'): string {
  const horizon = exposureHorizonSql(rule);
  return `
  DECLARE
    v_n int := coalesce(array_length(p_network, 1), 0);
    i int;
    v_network text;
    v_asset text;
    v_payer text;
    v_key text;
    v_locked text;
    v_pending numeric := 0;
    v_last text;
    v_last_i int;
    v_id uuid;
    v_reference text;
    v_status text;
    v_merchant uuid;
    v_signature text;
    v_failure text;
    v_self numeric;
    v_total numeric;
    v_outcome text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_ids uuid[] := array_fill(NULL::uuid, ARRAY[v_n]);
    v_refs text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_detail text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_created int[] := '{}';
  BEGIN
    FOR i IN SELECT g FROM generate_subscripts(p_network, 1) g
              ORDER BY (p_network[g] || '|' || p_asset[g] || '|' || p_payer[g]) COLLATE "C", p_nonce[g] COLLATE "C", g LOOP
      v_network := p_network[i];
      v_asset := p_asset[i];
      v_payer := p_payer[i];
      v_key := v_network || '|' || v_asset || '|' || v_payer;
      IF v_locked IS DISTINCT FROM v_key THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
        v_locked := v_key;
        v_pending := 0;
      END IF;
      v_self := 0;
      IF v_last = v_key || '|' || p_nonce[i] THEN
        v_id := v_ids[v_last_i];
        v_reference := v_refs[v_last_i];
        v_status := 'verified';
        v_merchant := p_merchant_id[v_last_i];
        v_signature := p_signature[v_last_i];
        v_failure := NULL;
        IF p_expires_at[v_last_i] > ${horizon} THEN
          v_self := p_amount[v_last_i];
        END IF;
      ELSE
        SELECT p.id, p.reference, p.status, p.merchant_id, p.signature, p.failure_reason
          INTO v_id, v_reference, v_status, v_merchant, v_signature, v_failure
          FROM payments p
         WHERE p.network = v_network AND p.asset = v_asset AND p.payer = v_payer AND p.nonce = p_nonce[i];
      END IF;
      IF v_id IS NOT NULL THEN
        IF v_status <> 'verified' THEN
          v_outcome[i] := 'already_settled';
          v_ids[i] := v_id;
          v_refs[i] := v_reference;
          v_detail[i] := v_status || coalesce(':' || v_failure, '');
          CONTINUE;
        END IF;
        IF v_signature <> p_signature[i] OR v_merchant <> p_merchant_id[i] THEN
          v_outcome[i] := 'nonce_conflict';
          v_ids[i] := v_id;
          CONTINUE;
        END IF;
      END IF;
      IF p_payer_balance[i] IS NOT NULL THEN
        SELECT ${exposureTotalSql('payer', 'v_payer', 'v_network', 'v_asset', rule)} INTO v_total;
        v_total := v_total + v_pending - v_self;
        IF v_total + p_amount[i] > p_payer_balance[i] THEN
          v_outcome[i] := 'payer_exposure';
          v_detail[i] := v_total::text;
          CONTINUE;
        END IF;
      END IF;
      IF v_id IS NOT NULL THEN
        v_outcome[i] := 'retry';
        v_ids[i] := v_id;
        v_refs[i] := v_reference;
        CONTINUE;
      END IF;
      v_outcome[i] := 'created';
      v_ids[i] := coalesce(tollgate_reference_id(p_reference[i]), gen_random_uuid());
      v_refs[i] := p_reference[i];
      v_created := v_created || i;
      v_last := v_key || '|' || p_nonce[i];
      v_last_i := i;
      IF p_expires_at[i] > ${horizon} THEN
        v_pending := v_pending + p_amount[i];
      END IF;
    END LOOP;
    IF cardinality(v_created) > 0 THEN
      INSERT INTO payments (id, reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                            valid_after, valid_before, expires_at, nonce, signature, status, payment_identifier, requirements)
      SELECT v_ids[c], p_reference[c], p_merchant_id[c], p_x402_version[c], p_scheme[c], p_network[c], p_asset[c], p_payer[c],
             p_pay_to[c], p_amount[c], p_valid_after[c], p_valid_before[c], p_expires_at[c], p_nonce[c], p_signature[c], 'verified',
             p_payment_identifier[c], p_requirements[c]
        FROM unnest(v_created) WITH ORDINALITY AS u(c, k) ORDER BY u.k;${verifiedEvent ? `
      INSERT INTO payment_events (payment_id, from_status, to_status)
      SELECT v_ids[c], NULL, 'verified' FROM unnest(v_created) WITH ORDINALITY AS u(c, k) ORDER BY u.k;` : ''}
    END IF;
    RETURN QUERY SELECT g, v_outcome[g], v_ids[g], v_refs[g], v_detail[g] FROM generate_series(1, v_n) g;
  END
`;
}

/** The many-call body, exactly as Postgres stores it. */
export const ACCEPT_PAYMENTS_BODY = acceptPaymentsBody(false);

const acceptPaymentsSql = (body: string): string => `CREATE OR REPLACE FUNCTION tollgate_accept_payments(
  p_network text[], p_asset text[], p_payer text[], p_nonce text[], p_signature text[], p_merchant_id uuid[],
  p_amount numeric[], p_payer_balance numeric[], p_reference text[], p_x402_version smallint[], p_scheme text[],
  p_pay_to text[], p_valid_after numeric[], p_valid_before numeric[], p_expires_at timestamptz[],
  p_payment_identifier text[], p_requirements jsonb[]
) RETURNS TABLE (ord int, outcome text, payment_id uuid, payment_reference text, detail text)
LANGUAGE plpgsql VOLATILE AS $fn$${body}$fn$`;

/** Installs the many-call rule (CREATE OR REPLACE keeps the function's owner and grants). */
export const ACCEPT_PAYMENTS_SQL = acceptPaymentsSql(ACCEPT_PAYMENTS_BODY);

/**
 * Both functions as they were before migration 1764020000000 (its down): each writes its `→ verified` event row, and
 * the guards count by the `legacy` exposure rule.
 */
export const ACCEPT_WITH_VERIFIED_EVENT_SQL = [acceptPaymentSql(acceptPaymentBody(true, 'legacy')), acceptPaymentsSql(acceptPaymentsBody(true, 'legacy'))];

/** Both functions as they were before migration 1764030000000 (its down): the guards count by the `legacy` exposure rule. */
export const ACCEPT_WITH_LEGACY_EXPOSURE_SQL = [acceptPaymentSql(acceptPaymentBody(false, 'legacy')), acceptPaymentsSql(acceptPaymentsBody(false, 'legacy'))];
