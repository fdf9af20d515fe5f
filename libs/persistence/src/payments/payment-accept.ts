import type { Pool } from 'pg';
import { GroupCommit } from './group-commit';

/** Arguments of `PaymentLedger.accept`: those of `tollgate_accept_payment` (accept-payment.sql.ts), in its parameter order. */
export interface AcceptArgs {
  network: string;
  asset: string;
  payer: string;
  nonce: string;
  signature: string;
  merchantId: string;
  /** Atomic units, decimal string. */
  amount: string;
  /** Atomic units; null skips the payer exposure guard. */
  payerBalance: string | null;
  /** Atomic units; null when the merchant sets no maximum (only such calls are batched, see {@link PaymentLedger.accept}). */
  merchantMaxExposure: string | null;
  reference: string;
  x402Version: number;
  scheme: string;
  payTo: string;
  /** Unix seconds, decimal strings. */
  validAfter: string;
  validBefore: string;
  expiresAt: Date;
  paymentIdentifier: string | null;
  /** JSON text. */
  requirements: string;
}

/** What the accept rule decided; see accept-payment.sql.ts. */
export type AcceptOutcome = 'created' | 'retry' | 'already_settled' | 'nonce_conflict' | 'payer_exposure' | 'merchant_exposure';

/** One row of `tollgate_accept_payment`. */
export interface AcceptRow {
  outcome: AcceptOutcome;
  payment_id: string | null;
  payment_reference: string | null;
  detail: string | null;
}

/**
 * Accept calls answered by one statement at most. The rows of one statement run one after the other in
 * one backend, so a turn with more rows is cut into chunks that go out at once on separate pool
 * connections: measured on 2 cores (fresh table, 32 concurrent callers), chunks of 8 accepted ≈ 2,600/s,
 * one statement for everything ≈ 1,200/s, no batching ≈ 1,400/s.
 *
 * A turn with 8 rows or fewer goes out as one statement. Cutting it further so that Postgres runs the rows
 * on several backends looked faster in isolation (8 callers: 2,000 vs 1,300 accepts/s with at least 4
 * chunks) but is slower in the whole service on 2 cores, where every extra statement wakes another backend
 * that preempts the API: `/verify` at concurrency 8 gave 716–727 req/s with one statement against 631–641
 * with at least 4 chunks (interleaved runs), with 1.85 against 2.3 ms of CPU per verify across all processes.
 */
const ACCEPT_MAX_BATCH = 8;

/**
 * Accept flushes (a turn's statements) in flight per process: calls arriving while one runs wait for it and
 * go out together in the next (group commit, {@link GroupCommit}), cut into statements as above. `/verify` on
 * 2 cores, 100 payers: best req/s with p99 ≤ 25 ms 1,390–1,450 at concurrency 16 → 1,658–1,718 at 24
 * (interleaved runs); two in flight measured no better than none. One payer: 1,499 → 1,535.
 *
 * One flush at a time, with one payer's calls never split inside it, also means a payer never has two of this
 * process's statements at once: an agent wallet's calls that arrive while its statement runs (#16) wait here
 * and share the next statement, instead of each queueing a statement and a commit on its advisory lock in
 * Postgres. Raising this limit would bring those lock queues back.
 */
const ACCEPT_MAX_IN_FLIGHT = 1;

const ACCEPT_SINGLE_SQL = `SELECT * FROM tollgate_accept_payment($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::jsonb)`;

/** The many-call rule (`tollgate_accept_payments`, accept-payment.sql.ts): one row per call, `ord` its 1-based index. */
const ACCEPT_BATCH_SQL = `SELECT * FROM tollgate_accept_payments($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[],
  $7::numeric[], $8::numeric[], $9::text[], $10::smallint[], $11::text[], $12::text[], $13::numeric[], $14::numeric[], $15::timestamptz[],
  $16::text[], $17::jsonb[])`;

/**
 * Runs the accept rule (accept-payment.sql.ts) with group commit for `PaymentLedger.accept`, which documents
 * the semantics: the calls of one event-loop turn — and those arriving while the previous turn's statements
 * run — share statements of at most {@link ACCEPT_MAX_BATCH} rows.
 */
export class AcceptBatcher {
  private readonly loader = new GroupCommit<AcceptArgs, AcceptRow>((calls) => this.flushAccepts(calls), ACCEPT_MAX_IN_FLIGHT, Number.POSITIVE_INFINITY);

  /** @param pool the pool the accept statements run on (resolved per call: TypeORM's pool exists only once initialized). */
  constructor(private readonly pool: () => Pool) {}

  /**
   * One accept; calls with a merchant maximum exposure run alone (they take a second advisory lock).
   * @throws the database error of this call's statement.
   */
  accept(args: AcceptArgs): Promise<AcceptRow> {
    if (args.merchantMaxExposure !== null) return this.acceptOne(args);
    return this.loader.load(args);
  }

  /** One turn's accept calls, answered in their order (a failed call gets its own error). */
  private async flushAccepts(calls: readonly AcceptArgs[]): Promise<Array<AcceptRow | Error>> {
    // Sorted before cutting: chunks cover disjoint ranges of payers and each takes its locks in key order.
    const order = calls.map((_, i) => i).sort((x, y) => compare(lockKey(calls[x]), lockKey(calls[y])));
    const answers: Array<AcceptRow | Error> = new Array(calls.length);
    const chunks: Promise<void>[] = [];
    for (const chunk of chunksByPayer(order, (k) => lockKey(calls[k]))) {
      const args = chunk.map((k) => calls[k]);
      chunks.push(
        this.acceptChunk(args).then((rows) => {
          rows.forEach((row, j) => (answers[chunk[j]] = row));
        }),
      );
    }
    await Promise.all(chunks);
    return answers;
  }

  /** One chunk: a single call runs alone; several share the batch statement, or fall back to one each. */
  private async acceptChunk(batch: AcceptArgs[]): Promise<Array<AcceptRow | Error>> {
    const alone = (a: AcceptArgs): Promise<AcceptRow | Error> => this.acceptOne(a).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    if (batch.length === 1) return [await alone(batch[0])];
    try {
      const { rows } = await this.pool().query<AcceptRow & { ord: number }>({ name: 'tollgate_accept_many', text: ACCEPT_BATCH_SQL, values: acceptColumns(batch) });
      if (rows.length !== batch.length) throw new Error(`accept batch answered ${rows.length} rows for ${batch.length}`);
      const answers: AcceptRow[] = new Array(batch.length);
      for (const row of rows) {
        const { ord, ...answer } = row;
        answers[ord - 1] = answer;
      }
      return answers;
    } catch {
      return Promise.all(batch.map(alone));
    }
  }

  /**
   * One call on its own statement. A deadlock victim is retried (at most {@link DEADLOCK_RETRIES} times): the
   * statement's transaction rolled back whole, so running it again is the same call. The deadlock two API
   * processes did hit (the `payment_events` rollup rows, shared by backends of one pid shard, upserted while
   * the payer's advisory lock was held) is gone at its cause since migration 1763940000000: each transaction
   * claims a rollup shard of its own. The retry stays as insurance: the accept holds a lock through triggers
   * it does not own.
   */
  private async acceptOne(a: AcceptArgs): Promise<AcceptRow> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.acceptOnce(a);
      } catch (e) {
        if (attempt >= DEADLOCK_RETRIES || (e as { code?: string }).code !== DEADLOCK_DETECTED) throw e;
      }
    }
  }

  private async acceptOnce(a: AcceptArgs): Promise<AcceptRow> {
    const { rows } = await this.pool().query<AcceptRow>({ name: 'tollgate_accept_single', text: ACCEPT_SINGLE_SQL, values: [
      a.network,
      a.asset,
      a.payer,
      a.nonce,
      a.signature,
      a.merchantId,
      a.amount,
      a.payerBalance,
      a.merchantMaxExposure,
      a.reference,
      a.x402Version,
      a.scheme,
      a.payTo,
      a.validAfter,
      a.validBefore,
      a.expiresAt,
      a.paymentIdentifier,
      a.requirements,
    ] });
    return rows[0];
  }
}

/** SQLSTATE of a deadlock victim (`deadlock_detected`). */
const DEADLOCK_DETECTED = '40P01';

/** Times {@link AcceptBatcher} re-runs a single accept that Postgres chose as a deadlock victim. */
const DEADLOCK_RETRIES = 3;

/**
 * Cuts the sorted call indexes into chunks of {@link ACCEPT_MAX_BATCH}, except that one payer's calls are never
 * split: chunks of one payer would only queue on its advisory lock, each paying a commit of its own while
 * holding it (an agent wallet paying for many calls at once, issue #16). A chunk may so exceed the size.
 */
function chunksByPayer(order: number[], key: (i: number) => string): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    if (current.length >= ACCEPT_MAX_BATCH && key(current[current.length - 1]) !== key(i)) {
      chunks.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** The string the function's payer advisory lock is keyed on. */
const lockKey = (a: AcceptArgs): string => `${a.network}|${a.asset}|${a.payer}`;

const compare = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Column arrays for ACCEPT_BATCH_SQL, in its unnest order. */
function acceptColumns(rows: AcceptArgs[]): unknown[][] {
  return [
    rows.map((a) => a.network),
    rows.map((a) => a.asset),
    rows.map((a) => a.payer),
    rows.map((a) => a.nonce),
    rows.map((a) => a.signature),
    rows.map((a) => a.merchantId),
    rows.map((a) => a.amount),
    rows.map((a) => a.payerBalance),
    rows.map((a) => a.reference),
    rows.map((a) => a.x402Version),
    rows.map((a) => a.scheme),
    rows.map((a) => a.payTo),
    rows.map((a) => a.validAfter),
    rows.map((a) => a.validBefore),
    rows.map((a) => a.expiresAt.toISOString()),
    rows.map((a) => a.paymentIdentifier),
    rows.map((a) => a.requirements),
  ];
}
