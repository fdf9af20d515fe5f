/** The columns of a batch row (a payment ever claimed into the batch) that decide its outcome. */
export interface BatchRowState {
  status: string;
  still_in_batch: boolean;
  left_with: { to_status: string; reason: string | null } | null;
}

/**
 * What became of one row in this batch:
 * - `landed`: still in it and included or confirmed;
 * - `pending`: still in it and waiting for the transaction (`batched`, `submitted`);
 * - `left`: out of it, whichever way — dropped before submission by the simulation (the payment keeps the
 *   batch id but is `failed`), failed on chain, sent back to the queue, voided, reorganised away.
 */
export type BatchRowOutcome = 'landed' | 'pending' | 'left';

const LANDED = ['included', 'confirmed'];
const WAITING = ['batched', 'submitted'];

/** The outcome of `r` in its batch; decided from its status first, so a dropped row never reads "pending". */
export function batchRowOutcome(r: BatchRowState): BatchRowOutcome {
  if (r.still_in_batch && LANDED.includes(r.status)) return 'landed';
  if (r.still_in_batch && WAITING.includes(r.status)) return 'pending';
  return 'left';
}

/** Counts of the rows the batch page lists, by outcome (`claimed` = every listed row; the others add up to it). */
export interface BatchRowCounts {
  claimed: number;
  landed: number;
  pending: number;
  left: number;
}

/** Counts `rows` by {@link batchRowOutcome}. */
export function countBatchRows(rows: BatchRowState[]): BatchRowCounts {
  const c: BatchRowCounts = { claimed: rows.length, landed: 0, pending: 0, left: 0 };
  for (const r of rows) c[batchRowOutcome(r)] += 1;
  return c;
}
