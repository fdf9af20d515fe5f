/** The columns of a payment the console needs to decide which actions to offer. */
export interface ActionablePayment {
  status: string;
  network: string;
  queued_at: Date | string | null;
  /** validBefore of the authorization. */
  expires_at: Date | string | null;
}

/** Which actions the payment page offers, and in words why none is when none is. */
export interface OfferedActions {
  retry: boolean;
  void: boolean;
  /** Set when neither is offered: shown in place of the buttons. */
  none?: string;
}

/** Statuses a void can still stop (nothing broadcast yet); the worker refuses every other. */
const VOIDABLE = ['verified', 'queued', 'batched'];

/**
 * The operator actions the payment state machine allows for `p` (see README "Payment lifecycle"), decided
 * from what the API knows without asking the chain — the same checks the worker makes first, so a button
 * is never offered for a request the worker is certain to refuse:
 * - retry: `failed`, queued once (the merchant asked to settle it), on a network this deployment serves,
 *   and its authorization still leaves the network's settlement window (`settlementWindowSeconds`). The
 *   worker also checks the nonce and balance on chain; those can still refuse it (the page says so).
 * - void: `verified`, `queued` or `batched` (not yet broadcast).
 * @param windowSeconds the network's settlement window, or null when the network is not served.
 * @param now milliseconds since the epoch.
 */
export function offeredActions(p: ActionablePayment, windowSeconds: number | null, now = Date.now()): OfferedActions {
  if (VOIDABLE.includes(p.status)) return { retry: false, void: true };
  const none = (why: string): OfferedActions => ({ retry: false, void: false, none: why });
  switch (p.status) {
    case 'submitted':
    case 'included':
      return none('Already broadcast: it can no longer be voided. Replace the batch transaction if it is stuck.');
    case 'confirmed':
      return none('Confirmed payments are final.');
    case 'lapsed':
      return none('The authorization expired before anyone asked to settle it; a lapsed payment is final.');
    case 'failed':
      break;
    default:
      return none(`Nothing can be done to a ${p.status} payment from here.`);
  }
  if (!p.queued_at) return none('It cannot be retried: it was never queued (the merchant never asked to settle it).');
  if (windowSeconds === null) return none(`It cannot be retried: network ${p.network} is not served by this deployment.`);
  const expiresAt = p.expires_at ? new Date(p.expires_at).getTime() : NaN;
  if (Number.isNaN(expiresAt)) return { retry: true, void: false };
  const left = Math.floor((expiresAt - now) / 1000);
  if (left <= 0) return none(`It cannot be retried: the authorization expired at ${new Date(expiresAt).toISOString()}, so it can never settle.`);
  if (left < windowSeconds) return none(`It cannot be retried: the authorization expires in ${left} s, less than the ${windowSeconds} s settlement window.`);
  return { retry: true, void: false };
}
