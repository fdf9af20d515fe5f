import { exposureTotalSql } from './payment-exposure.sql';

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
 * INSERT, event, COMMIT). Correctness rests on two Postgres facts: the advisory lock taken by the statement's
 * own transaction is held until it commits, and every statement inside a VOLATILE plpgsql function takes a
 * fresh snapshot (READ COMMITTED), so the checks after the lock see every payment committed by the verify that
 * held it before us. Locks are always taken payer first, then merchant, so concurrent calls cannot deadlock.
 *
 * The exposure guards read the maintained totals of `payment_exposure` (payment-exposure.sql.ts: per payer and
 * per merchant, bucketed by expiry, kept by triggers on `payments` in the same transaction), so their cost does
 * not grow with the payments in flight. Same semantics as summing `payments`: unsettled = verified while
 * `expires_at > now()`, or queued/batched/submitted; a retry of a still-verified payment does not count itself,
 * which is why its own amount is subtracted in the same statement (one snapshot for both).
 *
 * Plans stay cached per connection (no `plan_cache_mode` setting): forcing custom plans cost ≈ 40 % of each
 * call (0.60 against 0.37 ms), and Postgres re-plans when `payments` statistics change (see 1763800000000).
 *
 * Outcomes: created | retry (same authorization, still merely verified) | already_settled (detail =
 * status[:failure_reason]) | nonce_conflict | payer_exposure (detail = unsettled total) |
 * merchant_exposure (detail = unsettled total).
 */

/** The function's identity (name and argument types), for ALTER/DROP and catalog lookups. */
export const ACCEPT_PAYMENT_SIGNATURE =
  'tollgate_accept_payment(text, text, text, text, text, uuid, numeric, numeric, numeric, text, smallint, text, text, numeric, numeric, timestamptz, text, jsonb)';

/** The plpgsql body, exactly as Postgres stores it (`pg_proc.prosrc`). */
export const ACCEPT_PAYMENT_BODY = `
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
      SELECT ${exposureTotalSql('payer', 'p_payer')} INTO v_total;
      IF v_total + p_amount > p_payer_balance THEN
        RETURN QUERY SELECT 'payer_exposure'::text, NULL::uuid, NULL::text, v_total::text;
        RETURN;
      END IF;
    END IF;
    IF p_merchant_max_exposure IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock(hashtextextended('merchant-exposure|' || p_merchant_id || '|' || p_network || '|' || p_asset, 0));
      SELECT ${exposureTotalSql('merchant', 'p_merchant_id::text')} INTO v_total;
      IF v_total + p_amount > p_merchant_max_exposure THEN
        RETURN QUERY SELECT 'merchant_exposure'::text, NULL::uuid, NULL::text, v_total::text;
        RETURN;
      END IF;
    END IF;
    IF v_id IS NOT NULL THEN
      RETURN QUERY SELECT 'retry'::text, v_id, v_reference, NULL::text;
      RETURN;
    END IF;
    INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                          valid_after, valid_before, expires_at, nonce, signature, status, payment_identifier, requirements)
    VALUES (p_reference, p_merchant_id, p_x402_version, p_scheme, p_network, p_asset, p_payer, p_pay_to, p_amount,
            p_valid_after, p_valid_before, p_expires_at, p_nonce, p_signature, 'verified', p_payment_identifier, p_requirements)
    RETURNING id INTO v_id;
    INSERT INTO payment_events (payment_id, from_status, to_status) VALUES (v_id, NULL, 'verified');
    RETURN QUERY SELECT 'created'::text, v_id, p_reference, NULL::text;
  END
`;

/** Installs the rule: CREATE OR REPLACE keeps the function's owner and grants. */
export const ACCEPT_PAYMENT_SQL = `CREATE OR REPLACE FUNCTION tollgate_accept_payment(
  p_network text, p_asset text, p_payer text, p_nonce text, p_signature text, p_merchant_id uuid,
  p_amount numeric, p_payer_balance numeric, p_merchant_max_exposure numeric,
  p_reference text, p_x402_version smallint, p_scheme text, p_pay_to text,
  p_valid_after numeric, p_valid_before numeric, p_expires_at timestamptz,
  p_payment_identifier text, p_requirements jsonb
) RETURNS TABLE (outcome text, payment_id uuid, payment_reference text, detail text)
LANGUAGE plpgsql VOLATILE AS $fn$${ACCEPT_PAYMENT_BODY}$fn$`;
