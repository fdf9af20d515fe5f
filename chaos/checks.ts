/**
 * The invariants a chaos run ends with, read from the ledger (Postgres) and the canonical chain (anvil,
 * directly, never through the fault proxy).
 */
import type { Pool } from 'pg';
import { parseAbiItem, type Address, type Hex, type PublicClient } from 'viem';
import { eip3009TokenAbi } from '@tollgate/devchain';

const AUTHORIZATION_USED = parseAbiItem('event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)');
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** What the client learned about one payment. */
export interface ClientOutcome {
  payer: Address;
  nonce: Hex;
  payTo: Address;
  amount: bigint;
  /** `/settle` answered `success: true`. */
  answeredSuccess: boolean;
}

/** One invariant broken, with enough to find it. */
export interface Violation {
  kind: 'lost' | 'settledTwice' | 'stuck' | 'ledgerMismatch' | 'balanceMismatch' | 'historyGap';
  detail: string;
}

export interface CheckResult {
  lost: number;
  settledTwice: number;
  stuck: number;
  /** Payments whose recorded history is not one unbroken chain from `verified` to their status. */
  historyGaps: number;
  ledgerMatchesChain: boolean;
  /** Final statuses of every payment row, and failure reasons of the failed ones. */
  statuses: Record<string, number>;
  failureReasons: Record<string, number>;
  /** `/settle` answered something other than success, yet the authorization was settled on chain. */
  refusedButSettled: number;
  perPayTo: Array<{ payTo: Address; confirmedSum: string; balanceChange: string; transferSum: string }>;
  violations: Violation[];
}

/** Open rows, batches and transactions, and relayers whose chain nonce lags their pending nonce. */
export async function openWork(db: Pool, pub: PublicClient, relayers: Address[]): Promise<{ rows: number; batches: number; txs: number; mempool: number; byStatus: Record<string, number> }> {
  const rows = await db.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM payments WHERE status IN ('queued','batched','submitted','included') GROUP BY status`,
  );
  const byStatus = Object.fromEntries(rows.rows.map((r) => [r.status, Number(r.n)]));
  const b = await db.query<{ n: string }>(`SELECT count(*) AS n FROM settlement_batches WHERE status IN ('building','submitted','included')`);
  const t = await db.query<{ n: string }>(`SELECT count(*) AS n FROM relayer_transactions WHERE status = 'pending'`);
  // Pending AND queued: a transaction behind a nonce gap is only "queued", and the pending nonce ignores it.
  const pool = (await pub.request({ method: 'txpool_content' as never, params: [] as never })) as Record<string, Record<string, Record<string, unknown>>>;
  const ours = new Set(relayers.map((r) => r.toLowerCase()));
  let mempool = 0;
  for (const group of [pool.pending, pool.queued]) {
    for (const [from, byNonce] of Object.entries(group ?? {})) if (ours.has(from.toLowerCase())) mempool += Object.keys(byNonce).length;
  }
  return { rows: Object.values(byStatus).reduce((a, n) => a + n, 0), batches: Number(b.rows[0].n), txs: Number(t.rows[0].n), mempool, byStatus };
}

/**
 * Per relayer: the chain's nonce, the nonces of its open batches in the ledger and the nonces waiting in the
 * node's pool (pending/queued) — a nonce gap shows as open batches above a chain nonce no transaction fills.
 */
export async function relayerNonces(db: Pool, pub: PublicClient, relayers: Address[]): Promise<string> {
  const pool = (await pub.request({ method: 'txpool_content' as never, params: [] as never })) as Record<string, Record<string, Record<string, unknown>>>;
  const parts: string[] = [];
  for (const r of relayers) {
    const chainNonce = await pub.getTransactionCount({ address: r, blockTag: 'latest' });
    const open = await db.query<{ nonce: string; status: string }>(
      `SELECT nonce::text, status FROM settlement_batches WHERE lower(relayer) = $1 AND status IN ('building','submitted','included') ORDER BY nonce`,
      [r.toLowerCase()],
    );
    const inPool = (g: Record<string, Record<string, unknown>> | undefined) =>
      Object.entries(g ?? {}).filter(([a]) => a.toLowerCase() === r.toLowerCase()).flatMap(([, byNonce]) => Object.keys(byNonce)).join(',') || '-';
    parts.push(
      `relayer ${r.slice(0, 8)}…: chain nonce ${chainNonce}, open batch nonces ${open.rows.map((b) => b.nonce).join(',') || '-'}, pool pending ${inPool(pool.pending)} queued ${inPool(pool.queued)}`,
    );
  }
  return parts.join('; ');
}

/**
 * Checks, after quiescence:
 * - every payment answered success is `confirmed` (a `failed` one counts as lost: in this run nothing but
 *   Tollgate touches the authorizations, payers hold far more than they sign and authorizations outlive the run,
 *   so no failure reason can be true on chain);
 * - no authorization has two `AuthorizationUsed` logs;
 * - every `confirmed` row names the canonical log's transaction, block number and hash, and every
 *   canonical log belongs to a `confirmed` row;
 * - per payTo: confirmed sum == balance change (balances start at 0) == Transfer logs to it;
 * - nothing is left open (rows, batches, pending relayer transactions, relayer transactions stuck in the mempool);
 * - every payment's history (`tollgate_payment_events`: its own rows and the batch steps that list it) is one
 *   unbroken chain: it starts at `verified`, each step leaves the status the previous one entered, and the last
 *   one entered the payment's status.
 */
export async function checkInvariants(args: {
  db: Pool;
  pub: PublicClient;
  token: Address;
  payTo: Address[];
  relayers: Address[];
  outcomes: ClientOutcome[];
}): Promise<CheckResult> {
  const { db, pub, token } = args;
  const violations: Violation[] = [];
  const key = (payer: string, nonce: string) => `${payer.toLowerCase()}:${nonce.toLowerCase()}`;

  const head = await pub.getBlockNumber();
  const usedLogs = await pub.getLogs({ address: token, event: AUTHORIZATION_USED, fromBlock: 0n, toBlock: head });
  const logByAuth = new Map<string, (typeof usedLogs)[number]>();
  let settledTwice = 0;
  for (const l of usedLogs) {
    const k = key(l.args.authorizer!, l.args.nonce!);
    if (logByAuth.has(k)) {
      settledTwice++;
      violations.push({ kind: 'settledTwice', detail: `authorization ${k} used in ${logByAuth.get(k)!.transactionHash} and ${l.transactionHash}` });
    } else logByAuth.set(k, l);
  }

  const rows = await db.query<{
    reference: string;
    payer: string;
    nonce: string;
    pay_to: string;
    amount: string;
    status: string;
    failure_reason: string | null;
    tx_hash: string | null;
    block_number: string | null;
    block_hash: string | null;
  }>(`SELECT reference, payer, nonce, pay_to, amount::text, status, failure_reason, tx_hash, block_number::text, block_hash FROM payments`);
  const rowByAuth = new Map(rows.rows.map((r) => [key(r.payer, r.nonce), r]));
  const statuses: Record<string, number> = {};
  const failureReasons: Record<string, number> = {};
  for (const r of rows.rows) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 'failed') failureReasons[r.failure_reason ?? 'null'] = (failureReasons[r.failure_reason ?? 'null'] ?? 0) + 1;
  }

  let ledgerMismatch = 0;
  for (const r of rows.rows) {
    const log = logByAuth.get(key(r.payer, r.nonce));
    if (r.status === 'confirmed') {
      if (!log) {
        ledgerMismatch++;
        violations.push({ kind: 'ledgerMismatch', detail: `${r.reference} confirmed in ${r.tx_hash} (block ${r.block_number}) but no canonical AuthorizationUsed log` });
      } else if (
        log.transactionHash.toLowerCase() !== (r.tx_hash ?? '').toLowerCase() ||
        String(log.blockNumber) !== r.block_number ||
        log.blockHash.toLowerCase() !== (r.block_hash ?? '').toLowerCase()
      ) {
        ledgerMismatch++;
        violations.push({
          kind: 'ledgerMismatch',
          detail: `${r.reference} confirmed in ${r.tx_hash} block ${r.block_number} ${r.block_hash}; chain: ${log.transactionHash} block ${log.blockNumber} ${log.blockHash}`,
        });
      }
    } else if (log && r.status !== 'included') {
      ledgerMismatch++;
      violations.push({ kind: 'ledgerMismatch', detail: `${r.reference} is ${r.status}${r.failure_reason ? ` (${r.failure_reason})` : ''} but settled on chain in ${log.transactionHash}` });
    }
  }
  for (const [k, l] of logByAuth) {
    if (!rowByAuth.has(k)) {
      ledgerMismatch++;
      violations.push({ kind: 'ledgerMismatch', detail: `authorization ${k} settled in ${l.transactionHash} has no payment row` });
    }
  }

  let lost = 0;
  let refusedButSettled = 0;
  for (const o of args.outcomes) {
    const r = rowByAuth.get(key(o.payer, o.nonce));
    if (o.answeredSuccess) {
      if (!r || r.status !== 'confirmed') {
        lost++;
        violations.push({
          kind: 'lost',
          detail: `${r?.reference ?? key(o.payer, o.nonce)} answered success, ends ${r ? r.status : 'without a row'}${r?.failure_reason ? ` (${r.failure_reason})` : ''}${logByAuth.has(key(o.payer, o.nonce)) ? ', settled on chain' : ', not on chain'}`,
        });
      }
    } else if (logByAuth.has(key(o.payer, o.nonce))) refusedButSettled++;
  }

  const perPayTo: CheckResult['perPayTo'] = [];
  let balanceOk = true;
  for (const p of args.payTo) {
    const confirmed = await db.query<{ s: string | null }>(`SELECT sum(amount)::text AS s FROM payments WHERE pay_to = $1 AND status = 'confirmed'`, [p.toLowerCase()]);
    const confirmedSum = BigInt(confirmed.rows[0].s ?? '0');
    const balance = (await pub.readContract({ address: token, abi: eip3009TokenAbi, functionName: 'balanceOf', args: [p] })) as bigint;
    const transfers = await pub.getLogs({ address: token, event: TRANSFER, args: { to: p }, fromBlock: 0n, toBlock: head });
    const transferSum = transfers.reduce((a, l) => a + (l.args.value ?? 0n), 0n);
    perPayTo.push({ payTo: p, confirmedSum: confirmedSum.toString(), balanceChange: balance.toString(), transferSum: transferSum.toString() });
    if (confirmedSum !== balance || balance !== transferSum) {
      balanceOk = false;
      violations.push({ kind: 'balanceMismatch', detail: `payTo ${p}: confirmed ${confirmedSum}, balance ${balance}, Transfer logs ${transferSum}` });
    }
  }

  const gaps = await db.query<{ reference: string; status: string; path: string }>(
    `WITH h AS (
       SELECT p.reference, p.status, e.from_status, e.to_status,
              lag(e.to_status) OVER (PARTITION BY p.id ORDER BY e.id) AS previous,
              row_number() OVER (PARTITION BY p.id ORDER BY e.id DESC) AS from_last,
              string_agg(coalesce(e.from_status, '') || '>' || e.to_status, ' ') OVER (PARTITION BY p.id ORDER BY e.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS path
         FROM payments p LEFT JOIN LATERAL tollgate_payment_events(p.id) e ON true
     )
     SELECT DISTINCT reference, status, coalesce(path, '(none)') AS path FROM h
      WHERE to_status IS NULL OR from_status IS DISTINCT FROM previous OR (from_last = 1 AND to_status <> status)`,
  );
  for (const g of gaps.rows) violations.push({ kind: 'historyGap', detail: `${g.reference} is ${g.status}; history: ${g.path}` });

  const open = await openWork(db, pub, args.relayers);
  const relayerState = await relayerNonces(db, pub, args.relayers);
  const verifiedAnswered = args.outcomes.filter((o) => o.answeredSuccess && rowByAuth.get(key(o.payer, o.nonce))?.status === 'verified').length;
  const stuck = open.rows + open.batches + open.txs + open.mempool + verifiedAnswered;
  if (stuck > 0) {
    violations.push({
      kind: 'stuck',
      detail: `open rows ${JSON.stringify(open.byStatus)}, verified-but-settled ${verifiedAnswered}, open batches ${open.batches}, pending relayer transactions ${open.txs}, relayer transactions waiting in the mempool ${open.mempool}; ${relayerState}`,
    });
  }
  return {
    lost,
    settledTwice,
    stuck,
    historyGaps: gaps.rows.length,
    ledgerMatchesChain: ledgerMismatch === 0 && balanceOk,
    statuses,
    failureReasons,
    refusedButSettled,
    perPayTo,
    // The few structural violations (stuck, mismatch, double settlement) before the long list of lost payments.
    violations: [...violations.filter((v) => v.kind !== 'lost'), ...violations.filter((v) => v.kind === 'lost')],
  };
}
