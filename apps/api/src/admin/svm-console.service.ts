import { Inject, Injectable } from '@nestjs/common';
import { explorerTxUrl, TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ConsoleSvmRepository } from '@tollgate/persistence';
import { svmConsoleReader, type SvmConsoleReader } from '@tollgate/svm';
import type { LaneStats } from './lane-stats';

/** RPC reads on console pages never hold a page longer than this. */
const RPC_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${RPC_TIMEOUT_MS} ms`)), RPC_TIMEOUT_MS).unref())]);
}

/** One Solana fee payer as the overview shows it. */
export interface FeePayerStats {
  network: string;
  address: string;
  /** SOL balance in lamports (RPC, by address), or null when the RPC did not answer. */
  balanceLamports: bigint | null;
  /** `SOLANA_FEE_PAYER_MIN_LAMPORTS_<K>`: below it the worker signs nothing new with this fee payer. */
  minLamports: bigint;
  /**
   * `critical` (red) below the minimum — the worker has stopped signing with it and its payments wait queued;
   * `low` (amber) below twice the minimum — refill before it stops; `unknown` when unread.
   */
  balanceLevel: 'ok' | 'low' | 'critical' | 'unknown';
  /** Its transactions signed or broadcast but not landed yet. */
  inFlight: number;
  /** When its oldest in-flight transaction was signed (null when none is in flight). */
  oldestInFlightSince: Date | null;
  error?: string;
}

/** The Solana part of the overview: lanes per (network, mint) and fee payers per network. */
export interface SvmOverview {
  lanes: LaneStats[];
  feePayers: FeePayerStats[];
  /** Settlement window per network (seconds): a lane is red once a queued payment's deadline is that close. */
  windows: Record<string, number>;
}

/** A Solana payment's transaction as its detail page shows it. */
export interface SvmPaymentDetail {
  signature: string;
  feePayer: string;
  blockhash: string;
  broadcasts: number;
  lastBroadcastAt: Date | null;
  signedAt: Date;
  /** Slot it landed in (live read, else the recorded one), or null. */
  slot: string | null;
  /** `processed`/`confirmed`/`finalized` as the chain reports it now, or `not seen` (no status yet). Null when unread. */
  commitment: string | null;
  /** Blocks voted on top (null once finalized or unread). */
  confirmations: number | null;
  /** Explorer link of the signature (EXPLORER_TX_URL_<K>), or null. */
  explorerUrl: string | null;
  /** The chain's error when it landed failed. */
  chainError?: string;
  /** Why the live read failed (the page shows the recorded state). */
  readError?: string;
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/**
 * The console's Solana reads (issue #15): fee payers with their SOL balance (read by public address over
 * the network's RPC, keylessly, as relayers are), their in-flight transactions from Postgres, and a Solana
 * payment's stored transaction with its live standing. The API holds no fee-payer key.
 */
@Injectable()
export class SvmConsoleService {
  private readonly readers = new Map<string, SvmConsoleReader>();

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly rows: ConsoleSvmRepository,
  ) {}

  /** True when this deployment serves a Solana network. */
  get enabled(): boolean {
    return !!this.config.solanaNetworks?.length;
  }

  /** Solana lanes (from `lanes`, already computed) and every configured fee payer. */
  async overview(lanes: LaneStats[]): Promise<SvmOverview> {
    const windows = Object.fromEntries((this.config.solanaNetworks ?? []).map((n) => [n.network, n.settlementWindowSeconds]));
    return { lanes: lanes.filter((l) => l.family === 'svm'), feePayers: await this.feePayers(), windows };
  }

  /** Every configured fee payer per Solana network, with its balance against the signing minimum. */
  async feePayers(): Promise<FeePayerStats[]> {
    if (!this.enabled) return [];
    const inFlight = await this.rows.feePayersInFlight();
    const out: FeePayerStats[] = [];
    for (const n of this.config.solanaNetworks ?? []) {
      const reader = this.readerOf(n.network, n.rpcUrl);
      const stats = await Promise.all(
        n.feePayers.map(async (address): Promise<FeePayerStats> => {
          const row = inFlight.find((r) => r.network === n.network && r.fee_payer === address);
          const minLamports = BigInt(n.feePayerMinLamports);
          const s: FeePayerStats = { network: n.network, address, balanceLamports: null, minLamports, balanceLevel: 'unknown', inFlight: row?.in_flight ?? 0, oldestInFlightSince: row?.oldest_signed_at ?? null };
          try {
            s.balanceLamports = await withTimeout(reader.balance(address));
            s.balanceLevel = s.balanceLamports < minLamports ? 'critical' : s.balanceLamports < 2n * minLamports ? 'low' : 'ok';
          } catch (e) {
            s.error = (e as Error).message.split('\n')[0];
          }
          return s;
        }),
      );
      out.push(...stats);
    }
    return out;
  }

  /**
   * The stored transaction of a Solana payment with its live standing, or null for any other payment (or one
   * not signed yet). The live read is bounded; when it fails the recorded state stands.
   */
  async payment(p: { id: string; network: string; block_number: string | null }): Promise<SvmPaymentDetail | null> {
    if (!p.network.startsWith('solana:')) return null;
    const t = await this.rows.transaction(p.id);
    if (!t) return null;
    const d: SvmPaymentDetail = {
      signature: t.signature,
      feePayer: t.fee_payer,
      blockhash: t.blockhash,
      broadcasts: Number(t.broadcasts),
      lastBroadcastAt: t.last_broadcast_at,
      signedAt: t.created_at,
      slot: p.block_number,
      commitment: null,
      confirmations: null,
      explorerUrl: explorerTxUrl(this.config.explorers, p.network, t.signature),
    };
    const net = this.config.solanaNetworks?.find((n) => n.network === p.network);
    if (!net) return d;
    try {
      const st = await withTimeout(this.readerOf(net.network, net.rpcUrl).signature(t.signature));
      if (!st) d.commitment = 'not seen';
      else {
        d.slot = st.slot.toString();
        d.commitment = st.confirmationStatus;
        d.confirmations = st.confirmations;
        if (st.err !== null && st.err !== undefined) d.chainError = jsonText(st.err);
      }
    } catch (e) {
      d.readError = (e as Error).message.split('\n')[0];
    }
    return d;
  }

  private readerOf(network: string, rpcUrl: string): SvmConsoleReader {
    let r = this.readers.get(network);
    if (!r) this.readers.set(network, (r = svmConsoleReader(rpcUrl)));
    return r;
  }
}
