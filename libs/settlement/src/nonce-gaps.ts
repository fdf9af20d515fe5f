import { DataSource } from 'typeorm';
import { Address, Hex, parseTransaction, TransactionNotFoundError, TransactionReceiptNotFoundError } from 'viem';
import { TollgateConfig } from '@tollgate/config';
import { authorizationKey, authorizationsUsed, ChainClients, eip3009Abi } from '@tollgate/evm';
import { OwnPendingTxRow, RelayersRepository, RelayerTransactionsRepository, RelayerTxPurpose, relayerTxSourcesOf } from '@tollgate/persistence';
import { applyVerdicts, RowVerdict } from './row-outcomes';
import { Relayer, SettlementContext } from './settlement-context';
import { relayerTxStatus } from './status-stores';
import { broadcast, bumpedFees, currentFees, feeCapWei, Fees, signTx, storeTx } from './transactions';

/**
 * Nonces a relayer's chain account is behind its lowest live batch nonce (0 when none): the number of
 * nonces nothing of ours will ever fill unless Tollgate sends something at them. A transaction waits
 * behind a lower nonce, so while the gap exists no later transaction of the relayer can be mined.
 * @param chainNonce transactions mined from the relayer (`eth_getTransactionCount(…, 'latest')`).
 * @param lowestLiveNonce lowest nonce of a stored, pending transaction of a batch still in flight, or null.
 */
export function nonceGap(chainNonce: number, lowestLiveNonce: number | null): number {
  return lowestLiveNonce === null || lowestLiveNonce <= chainNonce ? 0 : lowestLiveNonce - chainNonce;
}

/** A stored transaction at a gap nonce that is no longer live (dropped by a reorg, never broadcast, replaced). */
export interface GapCandidate {
  txHash: Hex;
  purpose: RelayerTxPurpose;
  maxFeePerGas: bigint;
  /** At least one authorization it carries is unused on chain, its payment not final, and not about to expire. */
  settlesSomething: boolean;
  /** The node still holds it in its pool (e.g. re-injected after the reorg). */
  inPool: boolean;
}

/** What to put at a gap nonce. */
export type GapFill = { action: 'wait'; txHash: Hex } | { action: 'rebroadcast'; txHash: Hex } | { action: 'filler' };

/**
 * Chooses how to fill a gap nonce:
 * - a candidate the node already holds, priced to be mined at the current base fee → wait for it;
 * - else the newest settle candidate that still settles something and can pay the base fee → broadcast
 *   it again (stored and signed already: nothing is signed twice, and an authorization it carries that
 *   was meanwhile settled elsewhere simply fails inside `aggregate3(allowFailure)` — EIP-3009 nonces
 *   make a second use impossible on chain);
 * - else a zero-value self-transfer (`filler`).
 * Candidates newest first.
 */
export function gapFillDecision(candidates: GapCandidate[], baseFeePerGas: bigint): GapFill {
  const held = candidates.find((c) => c.inPool && c.maxFeePerGas >= baseFeePerGas);
  if (held) return { action: 'wait', txHash: held.txHash };
  const useful = candidates.find((c) => c.purpose === 'settle' && c.settlesSomething && c.maxFeePerGas >= baseFeePerGas);
  if (useful) return { action: 'rebroadcast', txHash: useful.txHash };
  return { action: 'filler' };
}

/** A relayer's nonce situation as read from Postgres and the chain, without its key. */
export interface RelayerNonceGap {
  network: string;
  /** Lower-case address. */
  address: string;
  chainNonce: number | null;
  lowestLiveNonce: number | null;
  gap: number;
  /** Since when the gap exists (as the worker first saw it, else since the blocked transaction was stored). */
  since: Date | null;
  /** The gap has lasted longer than RELAYER_WEDGED_AFTER_MS. */
  wedged: boolean;
  /** The chain could not be read. */
  error?: string;
}

/**
 * Every registered relayer's nonce gap, from the `relayers` table (addresses only), relayer_transactions and
 * one `eth_getTransactionCount` per relayer. Used by the API (readiness, operator console), which holds no
 * relayer key. A relayer whose chain read fails is reported with `error` and not as wedged.
 */
export async function readRelayerNonceGaps(db: DataSource, chains: ChainClients, config: TollgateConfig, timeoutMs = 2_000): Promise<RelayerNonceGap[]> {
  const relayers = await new RelayersRepository(db).list();
  const live = await new RelayerTransactionsRepository(db).lowestLiveBatchNonces();
  const configured = new Set<string>(config.networks.map((n) => n.network));
  return Promise.all(
    relayers
      .filter((r) => configured.has(r.network))
      .map(async (r): Promise<RelayerNonceGap> => {
        const lowest = live.get(`${r.network}|${r.address}`) ?? null;
        const base = { network: r.network, address: r.address, lowestLiveNonce: lowest?.nonce ?? null };
        try {
          const chainNonce = await Promise.race([
            chains.get(r.network).getTransactionCount({ address: r.address as Address, blockTag: 'latest' }),
            new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
          ]);
          const gap = nonceGap(chainNonce, lowest?.nonce ?? null);
          const since = gap > 0 ? (r.nonce_gap_since ?? lowest?.storedAt ?? null) : null;
          return { ...base, chainNonce, gap, since, wedged: gap > 0 && since !== null && Date.now() - since.getTime() > config.settlement.relayerWedgedAfterMs };
        } catch (e) {
          return { ...base, chainNonce: null, gap: 0, since: null, wedged: false, error: (e as Error).message.split('\n')[0] };
        }
      }),
  );
}

/** One line an operator can act on. */
export function wedgedMessage(g: RelayerNonceGap): string {
  const secs = g.since ? Math.round((Date.now() - g.since.getTime()) / 1000) : 0;
  return `relayer ${g.address} on ${g.network} is wedged: chain nonce ${g.chainNonce}, lowest pending nonce ${g.lowestLiveNonce} (gap ${g.gap}) for ${secs} s; nothing it sends can be mined until the gap is filled`;
}

/**
 * Keeps every relayer's nonce sequence free of holes. A reorganisation can drop our transaction at nonce
 * n (its batch is failed as `reorged` and its payments re-queued) while our transaction at n + 1 waits in
 * the pool: nothing of that relayer can be mined again until something is mined at n. Each pass, per
 * relayer (under an advisory lock, so several workers never fill the same nonce twice):
 * 1. follows the transactions it sent before (`filler`s and re-broadcast transactions of batches no
 *    longer in flight): a receipt marks it included — and payments whose authorization it used are
 *    attributed to it — a nonce taken otherwise marks it dropped, and one not mined after
 *    TX_REPLACE_AFTER_MS is replaced with bumped fees (capped at TX_MAX_FEE_GWEI; at the cap it waits):
 *    a settle transaction by itself while it can still settle something, anything else by a filler;
 * 2. compares the chain's mined nonce with the lowest live batch nonce and records the gap (`relayers`);
 * 3. fills each gap nonce that holds no pending transaction ({@link gapFillDecision}): re-broadcasts the
 *    stored transaction when it can still settle something, else sends a zero-value self-transfer. Either
 *    is recorded (`pending`) before it is broadcast.
 */
export class NonceGapHealer {
  constructor(private readonly ctx: SettlementContext) {}

  /** One pass over every configured relayer. @returns the gaps seen (before filling). */
  async healAll(): Promise<Array<{ network: string; relayer: string; gap: number }>> {
    const out: Array<{ network: string; relayer: string; gap: number }> = [];
    for (const n of this.ctx.config.networks) {
      if (!this.ctx.chains.has(n.network)) continue;
      for (const r of this.ctx.relayers(n.network)) {
        try {
          const gap = await this.ctx.exclusively(`nonce-gap:${n.network}:${r.id}`, () => this.heal(r));
          if (gap !== undefined) out.push({ network: n.network, relayer: r.id, gap });
        } catch (e) {
          this.ctx.logger.warn(`nonce gap check of relayer ${r.address} on ${n.network} failed: ${(e as Error).message}`);
        }
      }
    }
    return out;
  }

  private async heal(relayer: Relayer): Promise<number> {
    const client = this.ctx.chains.get(relayer.network);
    let chainNonce = await client.getTransactionCount({ address: relayer.address, blockTag: 'latest' });
    await this.followOwn(relayer, chainNonce);
    chainNonce = await client.getTransactionCount({ address: relayer.address, blockTag: 'latest' });
    const lowest = await this.ctx.repos.relayerTxs.lowestLiveBatchNonce(relayer.network, relayer.id);
    const gap = nonceGap(chainNonce, lowest);
    await this.ctx.repos.relayers.recordNonceCheck(relayer.network, relayer.id, chainNonce, gap);
    if (gap === 0) return 0;
    this.ctx.logger.warn(`relayer ${relayer.address} on ${relayer.network}: chain nonce ${chainNonce} is behind its lowest pending nonce ${lowest} (gap ${gap}); filling`);
    for (let nonce = chainNonce; nonce < lowest!; nonce++) await this.fill(relayer, nonce);
    return gap;
  }

  /** Step 1: the transactions this healer put on the chain (pending, not owned by a batch in flight). */
  private async followOwn(relayer: Relayer, chainNonce: number): Promise<void> {
    const own = await this.ctx.repos.relayerTxs.ownPending(relayer.network, relayer.id);
    const client = this.ctx.chains.get(relayer.network);
    for (const nonce of [...new Set(own.map((t) => t.nonce))]) {
      const versions = own.filter((t) => t.nonce === nonce);
      let mined = false;
      for (const t of versions) {
        const receipt = await client.getTransactionReceipt({ hash: t.tx_hash }).catch((e: unknown) => {
          if (e instanceof TransactionReceiptNotFoundError) return null;
          throw e;
        });
        if (!receipt) continue;
        mined = true;
        await this.onMined(relayer, t, receipt.logs, receipt.status === 'success', receipt.transactionHash, receipt.blockNumber, receipt.blockHash);
        break;
      }
      if (mined) continue;
      if (chainNonce > Number(nonce)) {
        // The nonce was taken by a transaction that is not one of these versions.
        await relayerTxStatus.transition(this.ctx.dataSource, { nonceOf: { network: relayer.network, relayer: relayer.id, nonce } }, 'pending', 'dropped');
        continue;
      }
      const latest = versions[versions.length - 1];
      if (Date.now() - new Date(latest.sent_at).getTime() >= this.ctx.config.settlement.replaceAfterMs) {
        const previous: Fees = { maxFeePerGas: BigInt(latest.max_fee_per_gas), maxPriorityFeePerGas: BigInt(latest.max_priority_fee_per_gas) };
        const fees = bumpedFees(previous, await currentFees(this.ctx, relayer.network), feeCapWei(this.ctx));
        if (fees) {
          // A re-broadcast settle transaction is replaced by itself with higher fees while it can still settle
          // something; otherwise (and a filler always) by a filler.
          const block = await client.getBlock({ blockTag: 'latest' });
          const keep = latest.purpose === 'settle' && latest.batch_id !== null && (await this.settlesSomething(relayer.network, latest.batch_id, block.timestamp));
          await this.sendAt(relayer, Number(nonce), fees, latest, keep);
          continue;
        }
      }
      const known = await client.getTransaction({ hash: latest.tx_hash }).catch((e: unknown) => {
        if (e instanceof TransactionNotFoundError) return null;
        throw e;
      });
      if (!known) await broadcast(this.ctx, relayer.network, latest.raw_tx, latest.tx_hash);
    }
  }

  /**
   * One of our gap transactions was mined. A re-broadcast settle transaction may have settled payments
   * that were re-queued meanwhile: those still `queued` are attributed to it here (→ `included`, on the
   * batch that signed it, which is followed to confirmation again); rows already claimed by another
   * batch are attributed by that batch's own simulation or receipt (RowClassifier), from the same log.
   */
  private async onMined(relayer: Relayer, tx: OwnPendingTxRow, logs: Parameters<typeof authorizationsUsed>[1], success: boolean, hash: Hex, blockNumber: bigint, blockHash: Hex): Promise<void> {
    const verdicts = new Map<string, RowVerdict>();
    if (tx.purpose === 'settle' && tx.batch_id && success) {
      const asset = await this.ctx.repos.batches.assetOf(tx.batch_id);
      const used = authorizationsUsed(asset as Address, logs);
      const rows = await this.ctx.repos.batchPayments.queuedFromBatch(tx.batch_id);
      for (const r of rows) {
        const logIndex = used.get(authorizationKey(r.payer, r.nonce));
        if (logIndex !== undefined) verdicts.set(r.id, { action: 'landed-elsewhere-ours', txHash: hash, blockNumber, blockHash, logIndex });
      }
    }
    await this.ctx.dataSource.transaction(async (m) => {
      // The mined version is included whatever it was; the other versions still pending are replaced.
      const nonceOf = { network: relayer.network, relayer: relayer.id, nonce: tx.nonce };
      await relayerTxStatus.transition(m, { nonceOf, txHash: hash.toLowerCase() }, relayerTxSourcesOf('included'), 'included');
      await relayerTxStatus.transition(m, { nonceOf, exceptTxHash: hash.toLowerCase() }, 'pending', 'replaced');
      if (verdicts.size) await applyVerdicts(this.ctx, verdicts, 'queued', m);
    });
    this.ctx.logger.log(`relayer ${relayer.address} on ${relayer.network}: gap nonce ${tx.nonce} filled by ${tx.purpose} ${hash}${verdicts.size ? ` (${verdicts.size} re-queued payment(s) settled by it)` : ''}`);
  }

  /** Step 3 for one nonce. */
  private async fill(relayer: Relayer, nonce: number): Promise<void> {
    const client = this.ctx.chains.get(relayer.network);
    const stored = await this.ctx.repos.relayerTxs.versionsAtNonce(relayer.network, relayer.id, nonce);
    if (stored.some((t) => t.status === 'pending')) return;
    const [block, market] = await Promise.all([client.getBlock({ blockTag: 'latest' }), currentFees(this.ctx, relayer.network)]);
    const candidates: GapCandidate[] = [];
    for (const t of stored) {
      const inPool = (await client.getTransaction({ hash: t.tx_hash }).catch(() => null)) !== null;
      const settlesSomething = t.purpose === 'settle' && t.batch_id ? await this.settlesSomething(relayer.network, t.batch_id, block.timestamp) : false;
      candidates.push({ txHash: t.tx_hash, purpose: t.purpose, maxFeePerGas: BigInt(t.max_fee_per_gas), settlesSomething, inPool });
    }
    const decision = gapFillDecision(candidates, block.baseFeePerGas ?? 0n);
    if (decision.action === 'wait') return;
    if (decision.action === 'rebroadcast') {
      const t = stored.find((x) => x.tx_hash === decision.txHash)!;
      const revived = await this.ctx.dataSource.transaction(async (m) => {
        await this.ctx.repos.relayers.lock(m, relayer.network, relayer.id);
        if (await this.ctx.repos.relayerTxs.hasPendingAtNonce(m, relayer.network, relayer.id, nonce)) return false;
        // Live again before it is on the wire; broadcast_at restarts the replacement clock.
        await relayerTxStatus.transition(m, { txHash: t.tx_hash }, relayerTxSourcesOf('pending'), 'pending', { broadcast_at: null });
        return true;
      });
      if (!revived) return;
      this.ctx.logger.warn(`relayer ${relayer.address} on ${relayer.network}: re-broadcasting ${t.tx_hash} (batch ${t.batch_id}) at gap nonce ${nonce}`);
      await broadcast(this.ctx, relayer.network, t.raw_tx, t.tx_hash);
      return;
    }
    // Over whatever the node may still hold at this nonce (a replacement needs +10 %), within the cap.
    const highest = stored.reduce<Fees | null>(
      (acc, t) => (acc && acc.maxFeePerGas >= BigInt(t.max_fee_per_gas) ? acc : { maxFeePerGas: BigInt(t.max_fee_per_gas), maxPriorityFeePerGas: BigInt(t.max_priority_fee_per_gas) }),
      null,
    );
    const fees = (highest && candidates.some((c) => c.inPool) ? bumpedFees(highest, market, feeCapWei(this.ctx)) : null) ?? market;
    await this.sendAt(relayer, nonce, fees, null, false);
  }

  /** Whether a stored settle transaction of `batchId` could still move money that has not moved. */
  private async settlesSomething(network: string, batchId: string, chainTime: bigint): Promise<boolean> {
    // 'included' too: the tracker may not have noticed yet that the inclusion was reorganised away (the sweep
    // that heals gaps races it). The chain's authorizationState below decides, so a row really settled is skipped.
    const rows = await this.ctx.repos.batchPayments.liveFromBatch(batchId);
    const client = this.ctx.chains.get(network);
    for (const r of rows) {
      // Landing after its validBefore (plus a block or two) would only revert the row.
      if (BigInt(r.valid_before) <= chainTime + 10n) continue;
      const used = await client.readContract({ address: r.asset as Address, abi: eip3009Abi, functionName: 'authorizationState', args: [r.payer as Address, r.nonce as Hex] });
      if (!used) return true;
    }
    return false;
  }

  /**
   * Signs, stores (pending) and broadcasts a transaction at `nonce`: a zero-value self-transfer (`filler`), or,
   * with `keepSettling`, the replaced settle transaction's own call at the new fees (same batch). `replacing`
   * is the version it supersedes (marked `replaced` in the same Postgres transaction).
   */
  private async sendAt(relayer: Relayer, nonce: number, fees: Fees, replacing: OwnPendingTxRow | null, keepSettling: boolean): Promise<void> {
    let call: { to: Address; data: Hex; gas: bigint } = { to: relayer.address, data: '0x', gas: 21_000n };
    const settle = keepSettling && replacing !== null;
    if (settle) {
      const parsed = parseTransaction(replacing.raw_tx);
      call = { to: parsed.to as Address, data: (parsed.data ?? '0x') as Hex, gas: parsed.gas ?? 21_000n };
    }
    const signed = await signTx(this.ctx, relayer, { ...call, nonce, fees });
    const stored = await this.ctx.dataSource.transaction(async (m) => {
      await this.ctx.repos.relayers.lock(m, relayer.network, relayer.id);
      const pending = await this.ctx.repos.relayerTxs.pendingHashesAtNonce(m, relayer.network, relayer.id, nonce);
      // Only the version being replaced may be pending at this nonce; anything else means another path filled it.
      if (pending.some((hash) => hash !== replacing?.tx_hash.toLowerCase())) return false;
      if (await this.ctx.repos.relayerTxs.exists(signed.hash.toLowerCase(), m)) return false;
      await storeTx(this.ctx, m, {
        batchId: settle ? replacing.batch_id : null,
        network: relayer.network,
        relayer: relayer.id,
        nonce,
        purpose: settle ? 'settle' : 'filler',
        signed,
        gas: call.gas,
        fees,
      });
      if (replacing) await relayerTxStatus.transition(m, { txHash: replacing.tx_hash.toLowerCase() }, 'pending', 'replaced');
      return true;
    });
    if (!stored) return;
    this.ctx.logger.warn(
      `relayer ${relayer.address} on ${relayer.network}: ${settle ? `settle transaction of batch ${replacing.batch_id} re-signed` : 'filler self-transfer'} ${signed.hash} at nonce ${nonce} (maxFee ${fees.maxFeePerGas} wei)`,
    );
    const outcome = await broadcast(this.ctx, relayer.network, signed.raw, signed.hash);
    if (outcome === 'underpriced') this.ctx.logger.warn(`relayer ${relayer.address}: transaction at gap nonce ${nonce} refused as underpriced; will bump again`);
  }
}
