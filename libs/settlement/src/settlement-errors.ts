/** Why a settlement step can never succeed, however often it is retried. */
export enum PermanentSettlementCode {
  /** The job names a batch that does not exist (deleted, or a payload from another database). */
  BatchNotFound = 'batch_not_found',
  /** The node refused the batch transaction for good (e.g. the relayer cannot pay for gas); its rows went back to the queue. */
  BatchAbandoned = 'batch_abandoned',
}

/**
 * A settlement step that must not be retried. Settlement rules say *that* it is permanent; the worker's
 * queue boundary decides what that means for the job (BullMQ: `UnrecoverableError`), so this library
 * does not depend on the queue library.
 */
export class PermanentSettlementError extends Error {
  constructor(
    readonly code: PermanentSettlementCode,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentSettlementError';
  }
}
