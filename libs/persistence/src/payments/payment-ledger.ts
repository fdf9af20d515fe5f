import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { SettlementMode } from '../entities/merchant.entity';
import { canTransition, PaymentStatus } from './payment-status';
import { AcceptBatcher, type AcceptArgs, type AcceptRow } from './payment-accept';
import { transitionStatementSql, type RowSource, type TransitionOptions, type TransitionPatch } from './transition-statement.sql';
import { GroupCommit } from './group-commit';

export type { TransitionOptions, TransitionPatch } from './transition-statement.sql';

/**
 * The signed fields of a payment, as a deferred settle presents them again, in the canonical (stored) forms
 * of its mechanism's claim (`SchemeMechanism.claimOf`: lower-case hex on EVM, base58 as is on Solana).
 */
export interface RecentAuthorization {
  /** CAIP-2, e.g. `eip155:8453`. */
  network: string;
  asset: string;
  payer: string;
  payTo: string;
  /** Atomic units. */
  value: bigint;
  /** Unix seconds. */
  validAfter: bigint;
  validBefore: bigint;
  nonce: string;
  signature: string;
}

/** Conditions of a deferred settle's shortcut, see {@link PaymentLedger.queueRecentlyVerified}. */
export interface RecentQueueOptions {
  merchantId: string;
  /** The verify must be younger than this many seconds. */
  maxAgeSeconds: number;
  /** `validBefore` must leave at least this many seconds (the lane's settlement window). */
  windowSeconds: number;
  mode: SettlementMode;
}

interface RecentQueueCall {
  a: RecentAuthorization;
  opts: RecentQueueOptions;
}

/**
 * Shortcut settles answered by one statement at most (rows are updated one after the other in one backend,
 * ≈ 0.1 ms each with their event rows); a turn with more goes out as several statements at once. Cutting
 * smaller turns into more statements (at least two) was no faster at 1,000 settles/s on 2 cores: every
 * statement wakes a backend that competes with the API for the CPU.
 */
const RECENT_QUEUE_MAX_ROWS = 16;

/** Shortcut flushes in flight per process; later settles wait and share the next (see {@link GroupCommit}). */
const RECENT_QUEUE_MAX_IN_FLIGHT = 2;

/** Statement name for a transition's SQL text (the same text always gets the same name). */
const preparedNames = new Map<string, string>();
function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (!name) {
    name = `tollgate_transition_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

/**
 * What `verified → queued` sets besides the status (both queue paths of `/settle`). `queued_at` is the record of
 * that step: the queue step writes no event row (payment-events.sql.ts), and no other transition sets it.
 */
function queuedPatch(mode: SettlementMode): TransitionPatch {
  return { settlement_mode: mode, queued_at: new Date() };
}

/** The `from` statuses of a transition, each checked against the state machine. */
function checkedEdges(from: PaymentStatus | readonly PaymentStatus[], to: PaymentStatus): PaymentStatus[] {
  const fromList = (Array.isArray(from) ? from : [from]) as PaymentStatus[];
  for (const f of fromList) {
    if (!canTransition(f, to)) throw new Error(`illegal payment transition ${f} -> ${to}`);
  }
  return fromList;
}

/**
 * The only writer of payment status. Every transition is one conditional UPDATE
 * (`WHERE id = ANY($ids) AND status = ANY($from)`) plus its event row (the queue step: the row's `queued_at`,
 * payment-events.sql.ts), in a single statement, so a replayed job or a racing request moves nothing twice and
 * history never misses a step. Transitions that
 * merchants hear about (see {@link paymentEventTypeFor}) also write their webhook deliveries (the outbox)
 * in that statement; the webhook worker's relay picks them up once the caller's transaction commits.
 */
export class PaymentLedger {
  /**
   * Group commit for {@link queueRecentlyVerified}: the calls of one event-loop turn share statements, and
   * calls arriving while {@link RECENT_QUEUE_MAX_IN_FLIGHT} flushes run wait to share the next one.
   */
  private readonly recentQueue = new GroupCommit<RecentQueueCall, { id: string; reference: string } | undefined>(
    (calls) => this.flushRecentQueue(calls),
    RECENT_QUEUE_MAX_IN_FLIGHT,
    RECENT_QUEUE_MAX_ROWS,
  );

  /**
   * @param acceptPool pool {@link accept} runs on (the API's asynchronously committing one); defaults to the
   *   pool TypeORM uses.
   */
  private readonly accepts: AcceptBatcher;

  constructor(
    private readonly dataSource: DataSource,
    acceptPool?: Pool,
  ) {
    this.accepts = new AcceptBatcher(() => acceptPool ?? this.pool());
  }

  /**
   * The accept rule (accept-payment.sql.ts): under the payer's advisory lock, an earlier record of this
   * authorization is a retry or a refusal; else the payer and merchant exposure guards; else the payment is
   * recorded `verified` (the row records its acceptance). One statement, no caller transaction.
   *
   * Group commit: the calls issued in one turn of the event loop run as one statement
   * (`tollgate_accept_payments(…arrays)`), one round trip and one commit instead of one each (in chunks of
   * 8, sent concurrently, never splitting one payer's calls; see payment-accept.ts). Under load the chain reads of many verifies return in one
   * JSON-RPC answer, so their accepts arrive together. While one turn's statements run, calls that arrive
   * wait for them in this process and go out with the next turn's, so a payer's calls never queue one
   * statement (and one commit) each on the payer's lock in Postgres.
   *
   * Semantics stay those of separate calls: the function takes the rows in payer-lock order and decides each
   * as the single function would, with what earlier rows of the batch created carried along (two payments of
   * one payer in a batch are guarded against each other, a repeated authorization is a retry of the first);
   * the created rows are then written with one INSERT, so the statement triggers fire once per batch. Two
   * batches take their per-payer advisory locks in the same order and cannot deadlock; rows that also take
   * the merchant exposure lock are never batched (a second lock per row would break that order). If the
   * batch statement fails (one poisoned row, a deadlock victim), every row is retried on its own so only the
   * bad one fails.
   * Both statements are named (prepared once per connection), so Postgres does not re-plan them per call.
   * @throws the database error of this call's statement.
   */
  accept(args: AcceptArgs): Promise<AcceptRow> {
    return this.accepts.accept(args);
  }

  /**
   * Moves the payments in `ids` that are currently in one of `from` to `to`.
   * @returns ids actually moved (others were not in an expected status: someone else moved them).
   * @throws Error when an edge is not part of the state machine (a programming error).
   */
  async transition(
    ids: string[],
    from: PaymentStatus | readonly PaymentStatus[],
    to: PaymentStatus,
    opts: TransitionOptions = {},
    manager?: EntityManager,
  ): Promise<string[]> {
    const fromList = checkedEdges(from, to);
    if (opts.then) checkedEdges(to, opts.then.to);
    // A verified payment's queued_at records its queue step, which only the queue step writes (the history and the
    // rollups rely on it); a later re-queue that resets it (an operator retry) records the previous value.
    if (opts.patch && 'queued_at' in opts.patch && fromList.includes('verified')) {
      throw new Error('queued_at of a verified payment is set by the queue step alone (queueVerified, queueRecentlyVerified)');
    }
    if (opts.batchStep && fromList.length !== 1) throw new Error('a batch step moves payments from one status');
    if (ids.length === 0) return [];
    const rows = await this.run((bind) => `p.id = ANY(${bind(ids)}::uuid[]) AND p.status = ANY(${bind(fromList)}::text[])`, to, opts, manager);
    return rows.map((r) => r.id);
  }

  /**
   * `/settle` of a payment just verified: moves `ids` from `verified` to `queued` in `mode`, as
   * {@link queueRecentlyVerified} does for a recent verify.
   * @returns ids actually moved (none when a concurrent request queued it first).
   */
  async queueVerified(ids: string[], mode: SettlementMode, manager?: EntityManager): Promise<string[]> {
    checkedEdges('verified', 'queued');
    if (ids.length === 0) return [];
    const rows = await this.run((bind) => `p.id = ANY(${bind(ids)}::uuid[]) AND p.status = 'verified'`, 'queued', { patch: queuedPatch(mode) }, manager, true);
    return rows.map((r) => r.id);
  }

  /**
   * Deferred `/settle` of an authorization this merchant verified moments ago: moves the one `verified`
   * row matching every signed field of `a` (lane, payer, nonce, signature, payTo, value, validity window)
   * to `queued`, in the same single statement as any transition — provided it was verified less than
   * `maxAgeSeconds` ago and `validBefore` still leaves `windowSeconds` (unix seconds) for the batch.
   * The signature, domain and on-chain state were checked by that verify; anything that changed on chain
   * since is caught by the batch's pre-submission simulation before gas is spent.
   *
   * Without `manager`, the calls of one event-loop turn are answered together (the `recentQueue` group
   * commit): one statement and one commit per chunk instead of one each; under load, calls that arrive while
   * earlier statements run wait for them and share the next statement.
   * @returns the moved payment, or undefined when no row qualifies (the caller then verifies in full).
   * @throws the database error of the statement that carried this call.
   */
  async queueRecentlyVerified(
    a: RecentAuthorization,
    opts: RecentQueueOptions,
    manager?: EntityManager,
  ): Promise<{ id: string; reference: string } | undefined> {
    checkedEdges('verified', 'queued');
    if (!manager) return this.recentQueue.load({ a, opts });
    const [moved] = await this.queueRecentMany([{ a, opts }], opts.mode, manager);
    return moved;
  }

  /**
   * {@link queueRecentlyVerified} for one or several authorizations of one settlement mode in one statement
   * (the same text, so one prepared plan, for any number): every condition, row by row, against an `unnest`
   * of the calls.
   * @returns per call (in order) the moved payment or undefined.
   */
  private async queueRecentMany(calls: RecentQueueCall[], mode: SettlementMode, manager?: EntityManager): Promise<Array<{ id: string; reference: string } | undefined>> {
    const col = <T>(f: (c: RecentQueueCall) => T): T[] => calls.map(f);
    const rows = await this.run(
      (bind) => ({
        from: `payments p JOIN unnest(${bind(col((c) => c.a.network))}::text[], ${bind(col((c) => c.a.asset))}::text[],
                 ${bind(col((c) => c.a.payer))}::text[], ${bind(col((c) => c.a.nonce))}::text[],
                 ${bind(col((c) => c.a.signature))}::text[], ${bind(col((c) => c.opts.merchantId))}::uuid[],
                 ${bind(col((c) => c.a.payTo))}::text[], ${bind(col((c) => c.a.value.toString()))}::numeric[],
                 ${bind(col((c) => c.a.validAfter.toString()))}::numeric[], ${bind(col((c) => c.a.validBefore.toString()))}::numeric[],
                 ${bind(col((c) => c.opts.maxAgeSeconds))}::float8[], ${bind(col((c) => c.opts.windowSeconds))}::numeric[])
               WITH ORDINALITY AS w(network, asset, payer, nonce, signature, merchant_id, pay_to, amount, valid_after, valid_before,
                                    max_age_seconds, window_seconds, ord)
            ON p.network = w.network AND p.asset = w.asset AND p.payer = w.payer AND p.nonce = w.nonce`,
        where: `p.status = 'verified' AND p.signature = w.signature AND p.merchant_id = w.merchant_id AND p.pay_to = w.pay_to
            AND p.amount = w.amount AND p.valid_after = w.valid_after AND p.valid_before = w.valid_before
            AND p.created_at > now() - make_interval(secs => w.max_age_seconds)
            AND p.valid_before >= floor(extract(epoch FROM now())) + w.window_seconds`,
        carry: ['ord'],
      }),
      'queued',
      { patch: queuedPatch(mode) },
      manager,
      true,
    );
    const answers: Array<{ id: string; reference: string } | undefined> = calls.map(() => undefined);
    for (const r of rows as Array<{ id: string; reference: string; ord: string }>) answers[Number(r.ord) - 1] = { id: r.id, reference: r.reference };
    return answers;
  }

  /** Answers one turn's {@link queueRecentlyVerified} calls: grouped by mode, in concurrent chunks. */
  private async flushRecentQueue(calls: RecentQueueCall[]): Promise<Array<{ id: string; reference: string } | undefined | Error>> {
    const answers: Array<Promise<{ id: string; reference: string } | undefined>> = [];
    const groups = new Map<SettlementMode, number[]>();
    calls.forEach((c, i) => groups.set(c.opts.mode, [...(groups.get(c.opts.mode) ?? []), i]));
    for (const [mode, idx] of groups) {
      for (let i = 0; i < idx.length; i += RECENT_QUEUE_MAX_ROWS) {
        const chunk = idx.slice(i, i + RECENT_QUEUE_MAX_ROWS);
        const shared = this.queueRecentMany(chunk.map((k) => calls[k]), mode);
        chunk.forEach((k, j) => {
          // A failed shared statement (a deadlock victim, one poisoned row) is retried call by call, so only
          // the bad call fails.
          answers[k] =
            chunk.length === 1 ? shared.then((moved) => moved[0]) : shared.then((moved) => moved[j], () => this.queueRecentMany([calls[k]], mode).then((moved) => moved[0]));
        });
      }
    }
    // Per call: one call's failure must not fail the others of its turn.
    return (await Promise.allSettled(answers)).map((r) =>
      r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason)),
    );
  }

  /** Runs one transition statement ({@link transitionStatementSql}: what it locks, moves and writes). */
  private async run(
    select: (bind: (value: unknown) => string) => string | RowSource,
    to: PaymentStatus,
    opts: TransitionOptions,
    manager?: EntityManager,
    queueStep = false,
  ): Promise<Array<{ id: string; reference: string }>> {
    const { sql, params } = transitionStatementSql(select, to, opts, queueStep);
    if (manager) return manager.query(sql, params);
    // Outside a caller's transaction the statement runs as a named prepared statement on the pool
    // TypeORM itself uses (synchronous commit): Postgres plans this CTE once per connection instead of
    // on every call, which under /settle load cost more than executing it (≈ 0.8 ms of planning).
    const { rows } = await this.pool().query({ name: preparedName(sql), text: sql, values: params });
    return rows;
  }

  private pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }
}
