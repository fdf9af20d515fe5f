/**
 * The relayer transaction state machine: one row per signed version of a nonce (replacements, cancels
 * and gap fillers are versions too). The chain, not Tollgate, decides which version wins a nonce, and a
 * reorg can undo that decision, so no status is final:
 *
 *            ┌──────────── mined ────────────▶ included ──reorged──▶ dropped
 *  pending ──┼── another version of the nonce mined / re-signed ──▶ replaced
 *     ▲      └── nonce taken by something else / never broadcast ──▶ dropped
 *     └──────── re-broadcast at a nonce gap (from included, replaced or dropped)
 *  replaced | dropped ──this version mined after all (found in a receipt or log)──▶ included
 *  included | dropped ──another version of the nonce mined──▶ replaced;  replaced ──batch reorged──▶ dropped
 */
export const RELAYER_TRANSACTION_STATUSES = ['pending', 'included', 'replaced', 'dropped'] as const;

export type RelayerTransactionStatus = (typeof RELAYER_TRANSACTION_STATUSES)[number];

/** Every allowed edge. A transition not listed here is a programming error. */
export const RELAYER_TRANSACTION_TRANSITIONS: Readonly<Record<RelayerTransactionStatus, readonly RelayerTransactionStatus[]>> = {
  pending: ['included', 'replaced', 'dropped'],
  included: ['replaced', 'dropped', 'pending'],
  replaced: ['included', 'dropped', 'pending'],
  dropped: ['included', 'replaced', 'pending'],
};

/** True when `from → to` is an edge of the relayer transaction state machine. */
export function canTransitionRelayerTx(from: RelayerTransactionStatus, to: RelayerTransactionStatus): boolean {
  return RELAYER_TRANSACTION_TRANSITIONS[from].includes(to);
}

/** Every status a transaction may move to `to` from (what an unconditional status write used to accept). */
export function relayerTxSourcesOf(to: RelayerTransactionStatus): RelayerTransactionStatus[] {
  return RELAYER_TRANSACTION_STATUSES.filter((s) => canTransitionRelayerTx(s, to));
}
