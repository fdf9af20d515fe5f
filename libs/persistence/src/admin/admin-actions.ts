/**
 * `admin_actions`: operator actions the API records and the worker carries out (retry, void, replace).
 * The API inserts the request; the worker writes its outcome (see libs/settlement OperatorActions).
 */

/** Event reason recorded on `failed → queued` when an operator retries. */
export const OPERATOR_RETRY_REASON = 'operator_retry';

/** Where an operator action stands (`admin_actions.status`). */
export type OperatorActionStatus = 'requested' | 'succeeded' | 'refused' | 'not_found' | 'expired' | 'failed';

/** One operator action request as stored. */
export interface OperatorActionRow {
  id: string;
  action: 'payment.retry' | 'payment.void' | 'batch.replace';
  target_type: string;
  target_id: string;
  params: Record<string, unknown>;
  actor: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  request_id: string | null;
  status: OperatorActionStatus;
  message: string | null;
  before: unknown;
  after: unknown;
  requested_at: Date;
  finished_at: Date | null;
}

/** The columns of {@link OperatorActionRow}, for SELECTs. */
export const OPERATOR_ACTION_COLUMNS =
  'id, action, target_type, target_id, params, actor, actor_user_id, actor_token_id, request_id, status, message, before, after, requested_at, finished_at';

