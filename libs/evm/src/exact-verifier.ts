import {
  Address,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  Hex,
  isAddressEqual,
  size,
  toHex,
} from 'viem';
import { eip3009Abi, erc1271Abi } from './abis';
import { recentAuthorizationEvent } from './authorization-events';
import { AuthorizationReadBatcher } from './authorization-reads';
import { ChainClients } from './chain-clients';
import { Eip3009Authorization, tokenDomain } from './eip3009';
import { eip3009Digest, eip3009DomainSeparator } from './eip3009-digest';
import { defaultRecovery, SignatureRecovery } from './signature-recovery';

/** The token a payment is made in, with the EIP-712 domain the token itself declares. */
export interface ExactAsset {
  address: Address;
  name: string;
  version: string;
  decimals: number;
}

/** What the exact-EVM rules need from a parsed x402 request (both protocol versions map to it). */
export interface ExactPaymentInput {
  /** Requirements scheme and the scheme the payload claims. */
  scheme: string;
  payloadScheme: string;
  /** Requirements network (CAIP-2) and the network the payload claims, already mapped to CAIP-2. */
  network: `eip155:${number}`;
  payloadNetwork: string;
  payTo: Address;
  /** Required amount in atomic units. */
  amount: bigint;
  extra: Record<string, unknown>;
  signature: Hex;
  authorization: Eip3009Authorization;
}

export interface ExactVerifyContext {
  chainId: number;
  asset: ExactAsset;
  /** Wall-clock unix seconds used for every time rule of this verification. */
  nowSeconds: bigint;
  /** Seconds `validBefore` must leave beyond now so the queue can still settle it. */
  settlementWindowSeconds: number;
  /** Skip the on-chain reads (used by tests of the static rules only). */
  offChainOnly?: boolean;
  /**
   * Simulate `transferWithAuthorization` on every verify as the reference does (one more aggregate3 row
   * each; payers that appear twice in one tick cost one more aggregate3 call, see {@link AuthorizationReadBatcher}).
   * Off, the token's own EIP-712 domain separator is compared instead (read at most once a minute per
   * token): with the signature, nonce, balance and time checks that covers the same failures for a plain
   * EIP-3009 token; token-specific refusals (USDC blacklist, pause) then surface at the pre-submission
   * simulation of the batch, before any gas is spent.
   */
  simulate?: boolean;
}

export type ExactVerifyResult =
  | { isValid: true; payer: Address; balance: bigint | null; smartWallet: boolean }
  | { isValid: false; payer: Address; reason: string; message: string };

/** Reference facilitators require `validBefore ≥ now + 6 s` to cover one block of latency. */
export const VALID_BEFORE_MIN_SECONDS = 6n;

const ERC1271_MAGIC = '0x1626ba7e';

/**
 * Every check the x402 `exact` EVM scheme makes for EIP-3009 (specs/schemes/exact/scheme_exact_evm.md),
 * cheapest first so junk is rejected before any signature recovery or RPC:
 * scheme, EIP-712 domain present and matching the token, network, recipient, validBefore ≥ now+6,
 * validAfter ≤ now, exact value, the settlement window, signature (ECDSA, or ERC-1271 for deployed
 * contract wallets), then one batched on-chain read: nonce unused, balance, and a simulated
 * `transferWithAuthorization` ({@link AuthorizationReadBatcher}: one eth_call per network per tick).
 *
 * Never throws for a bad payment; RPC failures propagate (the caller answers `unexpected_verify_error`).
 */
export class ExactEvmVerifier {
  constructor(
    private readonly clients: ChainClients,
    private readonly recovery: SignatureRecovery = defaultRecovery(),
  ) {}

  /**
   * The rules that need neither the signature nor the chain (scheme, token domain, network, recipient,
   * time window, exact value, settlement window), in the order {@link verify} applies them.
   * @returns the first failure, or null when all pass.
   */
  staticRules(p: ExactPaymentInput, ctx: Pick<ExactVerifyContext, 'asset' | 'nowSeconds' | 'settlementWindowSeconds'>): (ExactVerifyResult & { isValid: false }) | null {
    const a = p.authorization;
    const payer = a.from;
    const invalid = (reason: string, message: string): ExactVerifyResult & { isValid: false } => ({ isValid: false, payer, reason, message });

    if (p.scheme !== 'exact' || p.payloadScheme !== 'exact') {
      return invalid('invalid_exact_evm_scheme', `scheme must be "exact" on both sides (requirements "${p.scheme}", payload "${p.payloadScheme}")`);
    }
    const name = p.extra?.name;
    const version = p.extra?.version;
    if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) {
      return invalid('invalid_exact_evm_missing_eip712_domain', 'paymentRequirements.extra.name and extra.version (the token EIP-712 domain) are required');
    }
    if (p.payloadNetwork !== p.network) {
      return invalid('invalid_exact_evm_network_mismatch', `payload network ${p.payloadNetwork} does not match requirements network ${p.network}`);
    }
    if (name !== ctx.asset.name) {
      return invalid('invalid_exact_evm_token_name_mismatch', `token ${ctx.asset.address} signs with EIP-712 name "${ctx.asset.name}", requirements say "${name}"`);
    }
    if (version !== ctx.asset.version) {
      return invalid('invalid_exact_evm_token_version_mismatch', `token ${ctx.asset.address} signs with EIP-712 version "${ctx.asset.version}", requirements say "${version}"`);
    }
    if (!isAddressEqual(a.to, p.payTo)) {
      return invalid('invalid_exact_evm_recipient_mismatch', `authorization.to ${a.to} is not payTo ${p.payTo}`);
    }
    if (a.validBefore < ctx.nowSeconds + VALID_BEFORE_MIN_SECONDS) {
      return invalid('invalid_exact_evm_payload_authorization_valid_before', `authorization expires at ${a.validBefore}, less than ${VALID_BEFORE_MIN_SECONDS}s after now (${ctx.nowSeconds})`);
    }
    if (a.validAfter > ctx.nowSeconds) {
      return invalid('invalid_exact_evm_payload_authorization_valid_after', `authorization is not valid before ${a.validAfter} (now ${ctx.nowSeconds})`);
    }
    if (a.value !== p.amount) {
      return invalid('invalid_exact_evm_authorization_value', `authorization value ${a.value} differs from the required amount ${p.amount} (atomic units)`);
    }
    if (a.validBefore < ctx.nowSeconds + BigInt(ctx.settlementWindowSeconds)) {
      return invalid(
        'tollgate_valid_before_within_settlement_window',
        `authorization expires in ${a.validBefore - ctx.nowSeconds}s; deferred settlement needs at least ${ctx.settlementWindowSeconds}s (raise maxTimeoutSeconds)`,
      );
    }
    return null;
  }

  async verify(p: ExactPaymentInput, ctx: ExactVerifyContext): Promise<ExactVerifyResult> {
    const a = p.authorization;
    const payer = a.from;
    const invalid = (reason: string, message: string): ExactVerifyResult => ({ isValid: false, payer, reason, message });
    const refused = this.staticRules(p, ctx);
    if (refused) return refused;
    const name = String(p.extra.name);
    const version = String(p.extra.version);

    const domain = tokenDomain({ name, version, chainId: ctx.chainId, asset: ctx.asset.address });
    const sig = await this.checkSignature(p, domain, ctx);
    if (sig.kind === 'invalid') return invalid(sig.reason, sig.message);
    if (ctx.offChainOnly) return { isValid: true, payer, balance: null, smartWallet: sig.kind === 'contract' };

    const token = ctx.asset.address;
    const [{ used, balance, simulationRevert: revert }, domainOk] = await Promise.all([
      this.readsOf(p.network).read({ token, authorization: a, signature: p.signature, simulate: ctx.simulate !== false }),
      ctx.simulate === false ? this.domainMatches(p.network, ctx.chainId, ctx.asset, name, version) : Promise.resolve(true),
    ]);
    if (!domainOk) {
      return invalid(
        'invalid_exact_evm_token_name_mismatch',
        `token ${token} does not sign with EIP-712 name "${name}" and version "${version}" on chain ${ctx.chainId} (its DOMAIN_SEPARATOR differs)`,
      );
    }
    if (used) {
      const cancelled = await this.wasCancelled(p.network, token, a.from, a.nonce);
      return cancelled
        ? invalid('tollgate_authorization_cancelled', `authorization ${a.nonce} was cancelled on chain by ${a.from}`)
        : invalid('invalid_exact_evm_nonce_already_used', `authorization ${a.nonce} of ${a.from} is already used on chain`);
    }
    if (balance < a.value) {
      return invalid('invalid_exact_evm_insufficient_balance', `payer balance ${balance} is below the authorized value ${a.value} (atomic units)`);
    }
    if (revert !== null) {
      if (/invalid signature/i.test(revert)) {
        return invalid('invalid_exact_evm_signature', `the token rejects the signature (${revert}); check the EIP-712 domain name/version`);
      }
      if (/expired/i.test(revert)) return invalid('invalid_exact_evm_payload_authorization_valid_before', revert);
      if (/not yet valid/i.test(revert)) return invalid('invalid_exact_evm_payload_authorization_valid_after', revert);
      return invalid('invalid_exact_evm_transaction_simulation_failed', `simulated transferWithAuthorization reverted: ${revert}`);
    }
    return { isValid: true, payer, balance, smartWallet: sig.kind === 'contract' };
  }

  private async checkSignature(
    p: ExactPaymentInput,
    domain: ReturnType<typeof tokenDomain>,
    ctx: ExactVerifyContext,
  ): Promise<{ kind: 'eoa' | 'contract' } | { kind: 'invalid'; reason: string; message: string }> {
    const a = p.authorization;
    const digest = eip3009Digest({ name: String(domain.name), version: String(domain.version), chainId: ctx.chainId, token: ctx.asset.address }, a);
    if (size(p.signature) === 65) {
      // null for malformed (r, s, v): not an EOA signature; a contract wallet may still accept it below.
      const recovered = await this.recovery.recover(digest, p.signature);
      if (recovered && isAddressEqual(recovered, a.from)) return { kind: 'eoa' };
    }
    if (ctx.offChainOnly) return { kind: 'invalid', reason: 'invalid_exact_evm_signature', message: 'signature does not recover authorization.from' };
    const client = this.clients.get(p.network);
    const code = await client.getCode({ address: a.from });
    if (!code || code === '0x') {
      return size(p.signature) > 65
        ? {
            kind: 'invalid',
            reason: 'invalid_exact_evm_payload_undeployed_smart_wallet',
            message: `${a.from} has no code: Tollgate settles deployed smart wallets only (ERC-6492 counterfactual wallets must be deployed first)`,
          }
        : { kind: 'invalid', reason: 'invalid_exact_evm_signature', message: `signature does not recover authorization.from ${a.from}` };
    }
    try {
      const magic = await client.readContract({
        address: a.from,
        abi: erc1271Abi,
        functionName: 'isValidSignature',
        args: [digest, p.signature],
      });
      if (magic.toLowerCase() === ERC1271_MAGIC) return { kind: 'contract' };
    } catch {
      // A reverting isValidSignature is a rejection, not an error of ours.
    }
    return { kind: 'invalid', reason: 'invalid_exact_evm_signature', message: `smart wallet ${a.from} rejects the signature (ERC-1271)` };
  }

  private readonly batchers = new Map<string, AuthorizationReadBatcher>();

  /** The network's coalescer of nonce, balance and simulation reads (one aggregate3 eth_call per tick). */
  private readsOf(network: string): AuthorizationReadBatcher {
    let b = this.batchers.get(network);
    if (!b) {
      b = new AuthorizationReadBatcher(this.clients.get(network), this.clients.multicall3(network));
      this.batchers.set(network, b);
    }
    return b;
  }

  private readonly domainChecks = new Map<string, { at: number; separator: Hex }>();

  /** Compares the token's DOMAIN_SEPARATOR with the configured domain; the on-chain value is cached 60 s. */
  private async domainMatches(network: string, chainId: number, asset: ExactAsset, name: string, version: string): Promise<boolean> {
    const key = `${network}|${asset.address.toLowerCase()}`;
    let cached = this.domainChecks.get(key);
    if (!cached || Date.now() - cached.at > 60_000) {
      const separator = await this.clients.get(network).readContract({ address: asset.address, abi: eip3009Abi, functionName: 'DOMAIN_SEPARATOR' });
      cached = { at: Date.now(), separator };
      this.domainChecks.set(key, cached);
    }
    return toHex(eip3009DomainSeparator(name, version, chainId, asset.address)) === cached.separator.toLowerCase();
  }

  /**
   * AuthorizationCanceled tells a cancelled nonce from a used one. Searched in the recent blocks only, in
   * windows public RPCs accept; an older cancellation, or a refused lookup, reads as used.
   */
  private async wasCancelled(network: string, token: Address, authorizer: Address, nonce: Hex): Promise<boolean> {
    try {
      const client = this.clients.get(network);
      const head = await client.getBlockNumber({ cacheTime: 0 });
      return (await recentAuthorizationEvent(client, token, 'AuthorizationCanceled', authorizer, nonce, head)) !== null;
    } catch {
      return false;
    }
  }
}

/** Best human revert reason of a viem call error (decodes `Error(string)` revert data of raw calls). */
export function revertReason(e: unknown): string {
  if (e instanceof BaseError) {
    const reverted = e.walk((err) => err instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) return reverted.reason ?? reverted.shortMessage;
    const withData = e.walk((err) => typeof (err as { data?: unknown }).data === 'string') as { data?: Hex } | null;
    if (withData?.data && withData.data.length >= 10) {
      try {
        const decoded = decodeErrorResult({ abi: [], data: withData.data });
        if (decoded.args?.length) return String(decoded.args[0]);
      } catch {
        // Custom error we have no ABI for: fall through to viem's message.
      }
    }
    return e.shortMessage;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Checksummed form of an address, for display. */
export const checksum = (a: string): Address => getAddress(a);
