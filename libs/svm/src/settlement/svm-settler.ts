import {
  createSolanaRpc,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  partiallySignTransaction,
  type Address,
  type Base64EncodedWireTransaction,
  type Blockhash,
  type KeyPairSigner,
  type Signature,
} from '@solana/kit';
import type { PaymentLedger, PendingSvmTransaction, QueuedSvmPayment, SvmSigning, SvmTransactionStore } from '@tollgate/persistence';
import { SvmReason } from '../svm-reasons';
import { decodeSvmTransaction } from '../svm-transaction';
import { failureOfLanded } from './svm-outcomes';

/** One Solana network the worker settles on: its RPC and the fee-payer signers it holds, by address. */
export interface SvmSettlementNetwork {
  network: string;
  rpcUrl: string;
  signers: ReadonlyMap<string, KeyPairSigner>;
  /** `SOLANA_FEE_PAYER_MIN_LAMPORTS_<K>` of the network; unset: {@link SvmSettlerOptions.minFeePayerLamports}. */
  minFeePayerLamports?: bigint;
}

/** A fee payer's SOL balance as last read. */
export interface FeePayerBalance {
  network: string;
  feePayer: string;
  lamports: bigint;
}

/** Minimal logger (Nest's Logger fits). */
export interface SvmSettlerLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** Tuning of {@link SvmSettler}; every field optional. */
export interface SvmSettlerOptions {
  /** Queued payments claimed per network per pass (default 100). */
  claimLimit?: number;
  /** A stored transaction without status is sent again after this many ms (default 2,000). */
  rebroadcastMs?: number;
  /** Below this balance a fee payer signs nothing new and a warning is logged (default 0.01 SOL). */
  minFeePayerLamports?: bigint;
  /** RPC calls in flight per pass (default 16). */
  concurrency?: number;
  logger?: SvmSettlerLogger;
  /**
   * Called once per payment this settler moved to `included` or `confirmed`, with the seconds since it was
   * queued (the worker's `tollgate_payment_queued_to_*_seconds{network}`); null when unknown.
   */
  onLanded?: (e: { network: string; phase: 'included' | 'confirmed'; queuedSeconds: number | null }) => void;
}

type Rpc = ReturnType<typeof createSolanaRpc>;
type SignatureStatus = { slot: bigint; err: unknown; confirmationStatus: string | null } | null;

const STATUS_CHUNK = 256;
const ACTIVE: ['batched', 'submitted'] = ['batched', 'submitted'];

/**
 * Settles Solana payments one transaction each (the payer signed a whole transaction, so nothing can be
 * batched): claims queued payments earliest deadline first, co-signs each as the fee payer its transaction
 * names, stores the fully signed transaction (and its signature) in the same database transaction that
 * moves the payment `queued → batched`, and only then broadcasts (`batched → submitted`). Each pass then
 * reads `getSignatureStatuses`: `confirmed` → `included` (slot as block number, signature as tx hash),
 * `finalized` → `confirmed`, a landed error → `failed` with its reason; a transaction with no status is
 * re-broadcast — the same stored bytes, never re-signed — until its blockhash expires, then `failed`
 * (`tollgate_blockhash_expired`); an `included` one whose status vanished (a fork) goes back to `queued`
 * and its stored transaction is claimed and broadcast again. Every pass re-derives its work from Postgres, so a crash or lost Redis
 * keys lose nothing, and Solana drops a second landing of one signature, so nothing settles twice.
 */
export class SvmSettler {
  private readonly rpcs = new Map<string, Rpc>();
  private readonly lowBalance = new Set<string>();
  private readonly o: Required<Omit<SvmSettlerOptions, 'logger' | 'onLanded'>> & Pick<SvmSettlerOptions, 'logger' | 'onLanded'>;

  constructor(
    private readonly store: SvmTransactionStore,
    private readonly ledger: PaymentLedger,
    readonly networks: readonly SvmSettlementNetwork[],
    opts: SvmSettlerOptions = {},
  ) {
    this.o = { claimLimit: 100, rebroadcastMs: 2_000, minFeePayerLamports: 10_000_000n, concurrency: 16, ...opts };
  }

  /** One pass over every network: claim and sign, then broadcast and track. RPC failures throw. */
  async tick(): Promise<void> {
    for (const net of this.networks) {
      while ((await this.store.claimQueued(net.network, this.o.claimLimit, (p) => this.sign(net, p))).length === this.o.claimLimit);
      await this.track(net);
    }
  }

  /** Co-signs a queued payment's transaction as its fee payer (in memory; the caller stores it). */
  private async sign(net: SvmSettlementNetwork, p: QueuedSvmPayment): Promise<SvmSigning> {
    const decoded = decodeSvmTransaction(p.payerTransaction);
    if (!decoded) return { kind: 'failed', reason: SvmReason.NotCoSignable, message: 'the stored payment transaction does not decode' };
    const feePayer = decoded.accounts[0];
    const signer = net.signers.get(feePayer);
    // Another worker may hold this key; a payment whose key nobody holds stays queued (and is logged).
    if (!signer) {
      this.o.logger?.warn(`payment ${p.reference}: no key for fee payer ${feePayer} on ${net.network}; left queued`);
      return { kind: 'skip' };
    }
    if (this.lowBalance.has(`${net.network}|${feePayer}`)) return { kind: 'skip' };
    const signed = await partiallySignTransaction([signer.keyPair], decoded.transaction as Parameters<typeof partiallySignTransaction>[1]);
    return {
      kind: 'signed',
      feePayer,
      signature: getSignatureFromTransaction(signed),
      blockhash: decoded.blockhash,
      wireTransaction: getBase64EncodedWireTransaction(signed),
    };
  }

  /** Broadcasts and tracks every stored transaction of `net` whose payment is not final. */
  async track(net: SvmSettlementNetwork): Promise<void> {
    const rpc = this.rpcOf(net);
    const pending = await this.store.pending(net.network, 5_000);
    const statuses: SignatureStatus[] = [];
    for (let i = 0; i < pending.length; i += STATUS_CHUNK) {
      const sigs = pending.slice(i, i + STATUS_CHUNK).map((r) => r.signature as Signature);
      const r = await rpc.getSignatureStatuses(sigs, { searchTransactionHistory: true }).send();
      statuses.push(...(r.value as SignatureStatus[]));
    }
    const validity = new Map<string, Promise<boolean>>();
    const blockhashValid = (b: string): Promise<boolean> => {
      let v = validity.get(b);
      if (!v) validity.set(b, (v = rpc.isBlockhashValid(b as Blockhash, { commitment: 'confirmed' }).send().then((r) => r.value)));
      return v;
    };
    await eachLimit(pending, this.o.concurrency, (row, i) => this.advance(rpc, row, statuses[i], blockhashValid));
  }

  private async advance(rpc: Rpc, row: PendingSvmTransaction, st: SignatureStatus, blockhashValid: (b: string) => Promise<boolean>): Promise<void> {
    const id = [row.paymentId];
    if (st) {
      if (st.err !== null && st.err !== undefined) {
        if (row.status === 'included') return;
        const f = failureOfLanded(st.err);
        await this.ledger.transition(id, ACTIVE, 'failed', { reason: f.reason, detail: { signature: row.signature, slot: String(st.slot) }, patch: { failure_reason: f.reason, failure_message: f.message, tx_hash: row.signature } });
        return;
      }
      if (st.confirmationStatus === 'confirmed' || st.confirmationStatus === 'finalized') {
        if (row.status !== 'included') {
          const moved = await this.ledger.transition(id, ACTIVE, 'included', {
            detail: { signature: row.signature, slot: String(st.slot) },
            patch: { tx_hash: row.signature, block_number: String(st.slot), included_at: new Date() },
          });
          if (moved.length) this.landed(row, 'included');
        }
        if (st.confirmationStatus === 'finalized') {
          const moved = await this.ledger.transition(id, 'included', 'confirmed', { patch: { confirmed_at: new Date() } });
          if (moved.length) this.landed(row, 'confirmed');
        }
        return;
      }
      if (row.status === 'batched') await this.ledger.transition(id, 'batched', 'submitted', { detail: { signature: row.signature } });
      return;
    }
    if (row.status === 'included') {
      // Seen confirmed, gone now: a fork dropped it (or the node lost it). Back to the queue, as an EVM reorg
      // does: the next claim reuses the stored bytes, which land again while the blockhash lives and otherwise
      // end `tollgate_blockhash_expired`. Should the status reappear, the same signature is simply included again.
      this.o.logger?.warn(`payment ${row.paymentId}: confirmed transaction ${row.signature} has no status any more; re-queued`);
      await this.ledger.transition(id, 'included', 'queued', {
        reason: 'reorged',
        detail: { signature: row.signature },
        patch: { tx_hash: null, block_number: null, included_at: null },
        incrementAttempts: true,
      });
      return;
    }
    if (!(await blockhashValid(row.blockhash))) {
      // It could have landed until the blockhash expired: read its status once more now that it cannot.
      const again = (await rpc.getSignatureStatuses([row.signature as Signature], { searchTransactionHistory: true }).send()).value[0] as SignatureStatus;
      if (again) return this.advance(rpc, row, again, blockhashValid);
      const reason = SvmReason.BlockhashExpired;
      const message = `blockhash ${row.blockhash} expired before the transaction landed (${row.broadcasts} broadcasts)`;
      await this.ledger.transition(id, ACTIVE, 'failed', { reason, detail: { signature: row.signature }, patch: { failure_reason: reason, failure_message: message } });
      return;
    }
    if (row.lastBroadcastAt && Date.now() - row.lastBroadcastAt.getTime() < this.o.rebroadcastMs) return;
    await rpc.sendTransaction(row.wireTransaction as Base64EncodedWireTransaction, { encoding: 'base64', skipPreflight: true, maxRetries: 0n }).send();
    await this.store.markBroadcast(row.paymentId);
    if (row.status === 'batched') await this.ledger.transition(id, 'batched', 'submitted', { detail: { signature: row.signature } });
  }

  /**
   * Reads every fee payer's SOL balance; one below its network's `minFeePayerLamports` (else the option's)
   * signs nothing new until refilled
   * (its transactions could not pay their fee) and is logged as a warning.
   */
  async feePayerBalances(): Promise<FeePayerBalance[]> {
    const out: FeePayerBalance[] = [];
    for (const net of this.networks) {
      for (const feePayer of net.signers.keys()) {
        const { value } = await this.rpcOf(net).getBalance(feePayer as Address, { commitment: 'confirmed' }).send();
        const key = `${net.network}|${feePayer}`;
        const min = net.minFeePayerLamports ?? this.o.minFeePayerLamports;
        if (value < min) {
          if (!this.lowBalance.has(key)) this.o.logger?.warn(`fee payer ${feePayer} on ${net.network} is low on SOL: ${value} lamports (minimum ${min}); it signs nothing new until refilled`);
          this.lowBalance.add(key);
        } else {
          this.lowBalance.delete(key);
        }
        out.push({ network: net.network, feePayer, lamports: value });
      }
    }
    return out;
  }

  private landed(row: PendingSvmTransaction, phase: 'included' | 'confirmed'): void {
    const queuedSeconds = row.queuedAt ? Math.max(0, (Date.now() - row.queuedAt.getTime()) / 1000) : null;
    this.o.onLanded?.({ network: row.network, phase, queuedSeconds });
  }

  private rpcOf(net: SvmSettlementNetwork): Rpc {
    let rpc = this.rpcs.get(net.network);
    if (!rpc) this.rpcs.set(net.network, (rpc = createSolanaRpc(net.rpcUrl)));
    return rpc;
  }
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure rejects after all settle. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i).catch((e: unknown) => void errors.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (errors.length) throw errors[0];
}
