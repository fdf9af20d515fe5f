import { isReasonCode, listReasonCodes, REASON_CODES, ReasonCode } from './reason-codes';

describe('reason codes', () => {
  const codes = Object.values(ReasonCode);

  it('are unique and each has exactly one documentation entry', () => {
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(REASON_CODES).sort()).toEqual([...codes].sort());
  });

  it('have unique, one-line, non-empty descriptions', () => {
    const descriptions = codes.map((c) => REASON_CODES[c].description);
    expect(new Set(descriptions).size).toBe(descriptions.length);
    for (const d of descriptions) {
      expect(d.trim().length).toBeGreaterThan(10);
      expect(d).not.toMatch(/\n/);
    }
  });

  it('are snake_case, and Tollgate codes carry the tollgate_ prefix', () => {
    for (const c of codes) {
      expect(c).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
      expect(c.startsWith('tollgate_')).toBe(REASON_CODES[c].source === 'tollgate');
    }
  });

  it('include the reference exact-EVM set, the spec generic set and the Tollgate set', () => {
    const required = [
      'invalid_exact_evm_scheme',
      'invalid_exact_evm_network_mismatch',
      'invalid_exact_evm_missing_eip712_domain',
      'invalid_exact_evm_recipient_mismatch',
      'invalid_exact_evm_signature',
      'invalid_exact_evm_payload_authorization_valid_before',
      'invalid_exact_evm_payload_authorization_valid_after',
      'invalid_exact_evm_authorization_value',
      'invalid_exact_evm_payload_undeployed_smart_wallet',
      'invalid_exact_evm_transaction_failed',
      'invalid_exact_evm_token_name_mismatch',
      'invalid_exact_evm_token_version_mismatch',
      'invalid_exact_evm_eip3009_not_supported',
      'invalid_exact_evm_nonce_already_used',
      'invalid_exact_evm_insufficient_balance',
      'invalid_exact_evm_transaction_simulation_failed',
      'invalid_payload',
      'invalid_payment_requirements',
      'invalid_network',
      'unsupported_scheme',
      'invalid_x402_version',
      'unexpected_verify_error',
      'unexpected_settle_error',
      'duplicate_settlement',
      'insufficient_funds',
      'invalid_scheme',
      'invalid_transaction_state',
      'tollgate_authorization_already_settled',
      'tollgate_exposure_exceeded',
      'tollgate_valid_before_within_settlement_window',
      'tollgate_pay_to_not_owned',
      'tollgate_asset_not_supported',
      'tollgate_authorization_cancelled',
      'tollgate_settlement_timeout',
    ];
    for (const c of required) expect(codes).toContain(c);
  });

  it('lists every code for documentation, in declaration order', () => {
    const list = listReasonCodes();
    expect(list.map((e) => e.code)).toEqual(codes);
    expect(list[0]).toEqual({ code: codes[0], ...REASON_CODES[codes[0]] });
  });

  it('recognises its own codes only', () => {
    expect(isReasonCode('invalid_exact_evm_signature')).toBe(true);
    expect(isReasonCode('invalid_exact_evm_signatures')).toBe(false);
    expect(isReasonCode(7)).toBe(false);
    expect(isReasonCode('toString')).toBe(false);
  });
});
