import type { Address, Instruction } from '@solana/kit';
import { COMPUTE_BUDGET_PROGRAM_ADDRESS, parseSetComputeUnitLimitInstruction, parseSetComputeUnitPriceInstruction } from '@solana-program/compute-budget';
import { TOKEN_PROGRAM_ADDRESS, parseTransferCheckedInstruction } from '@solana-program/token';
import { TOKEN_2022_PROGRAM_ADDRESS, findAssociatedTokenPda, parseTransferCheckedInstruction as parseTransferChecked2022 } from '@solana-program/token-2022';
import { decodeSvmTransaction, ed25519SignatureValid, type DecodedSvmTransaction } from './svm-transaction';
import { SvmReason } from './svm-reasons';

/** Program ids the reference verify allows after the transfer. */
export const MEMO_PROGRAM_ADDRESS = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
export const LIGHTHOUSE_PROGRAM_ADDRESS = 'L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95';
/** The reference's default cap on `SetComputeUnitPrice` (micro-lamports per compute unit). */
export const DEFAULT_MAX_COMPUTE_UNIT_PRICE = 5_000_000n;

const TRANSFER_CHECKED = 12;
const SET_COMPUTE_UNIT_LIMIT = 2;
const SET_COMPUTE_UNIT_PRICE = 3;
const UNKNOWN_EXTRA = [SvmReason.UnknownFourth, SvmReason.UnknownFifth, SvmReason.UnknownSixth, SvmReason.UnknownSeventh];

/** What the rules read of a request (requirements and the payload's claims), networks in CAIP-2. */
export interface SvmRuleInput {
  scheme: string;
  payloadScheme: string;
  network: string;
  payloadNetwork: string;
  asset: string;
  payTo: string;
  /** Atomic units. */
  amount: bigint;
  extra: Record<string, unknown>;
  /** Base64 wire transaction. */
  transaction: string;
}

/** Limits of one facilitator (the reference's `ExactSvmSchemeOptions`). */
export interface SvmRuleLimits {
  /** The fee payers this facilitator signs for (base58). */
  feePayers: readonly string[];
  maxRequiredSignatures?: number;
  maxComputeUnits?: number;
  /** Micro-lamports; default {@link DEFAULT_MAX_COMPUTE_UNIT_PRICE}. */
  maxComputeUnitPrice?: bigint;
}

/** A failed rule: the reason code, a message, and the payer when it was known by then. */
export interface SvmRuleFailure {
  ok: false;
  reason: string;
  message: string;
  payer?: string;
}

/** The transfer a transaction makes, once every static rule passed. */
export interface SvmTransfer {
  ok: true;
  decoded: DecodedSvmTransaction;
  /** The transfer's authority (base58): the payer. */
  authority: Address;
  source: Address;
  amount: bigint;
}

const fail = (reason: string, message: string, payer?: string): SvmRuleFailure => ({ ok: false, reason, message, ...(payer ? { payer } : {}) });

/**
 * Rules 1–7 of the reference verify, in its order (scheme; network; `extra.feePayer` present; managed; the
 * transaction decodes; signer cap; the fee payer is the first account). No signatures checked, no I/O.
 * @returns the first failure, or the decoded transaction.
 */
export function svmEnvelopeRules(input: SvmRuleInput, limits: SvmRuleLimits): SvmRuleFailure | { ok: true; decoded: DecodedSvmTransaction } {
  if (input.scheme !== 'exact' || input.payloadScheme !== 'exact') return fail(SvmReason.UnsupportedScheme, `scheme ${input.payloadScheme} is not exact`);
  if (input.payloadNetwork !== input.network) return fail(SvmReason.NetworkMismatch, `the payload is for ${input.payloadNetwork}, the requirements for ${input.network}`);
  const feePayer = input.extra.feePayer;
  if (typeof feePayer !== 'string' || feePayer === '') return fail(SvmReason.MissingFeePayer, 'paymentRequirements.extra.feePayer is missing');
  if (!limits.feePayers.includes(feePayer)) return fail(SvmReason.FeePayerNotManaged, `fee payer ${feePayer} is not one of this facilitator's`);
  const decoded = decodeSvmTransaction(input.transaction);
  if (!decoded) return fail(SvmReason.CouldNotBeDecoded, 'the transaction could not be decoded as a Solana transaction without address lookup tables');
  const signers = decoded.compiled.header.numSignerAccounts;
  if (limits.maxRequiredSignatures !== undefined && signers > limits.maxRequiredSignatures) {
    return fail(SvmReason.ExcessiveSigners, `the transaction requires ${signers} signatures, at most ${limits.maxRequiredSignatures} are accepted`);
  }
  if (decoded.accounts[0] !== feePayer) return fail(SvmReason.FeePayerMismatch, `the transaction's fee payer is ${decoded.accounts[0]}, not ${feePayer}`);
  return { ok: true, decoded };
}

/** Rule 8: every required signature other than the fee payer's is present and valid (Ed25519). */
function signaturesValid(d: DecodedSvmTransaction): boolean {
  for (let i = 1; i < d.compiled.header.numSignerAccounts; i++) {
    const address = d.accounts[i];
    const sig = address ? d.transaction.signatures[address] : undefined;
    if (!sig || sig.length !== 64) return false;
    if (!ed25519SignatureValid(address, Uint8Array.from(sig), Uint8Array.from(d.transaction.messageBytes))) return false;
  }
  return true;
}

/** Rules 10–11: compute-unit limit then price, as the first two instructions. */
function computeBudgetFailure(ixs: readonly Instruction[], limits: SvmRuleLimits): SvmRuleFailure | undefined {
  const [limitIx, priceIx] = ixs;
  try {
    if (limitIx.programAddress !== COMPUTE_BUDGET_PROGRAM_ADDRESS || limitIx.data?.[0] !== SET_COMPUTE_UNIT_LIMIT) throw new Error();
    const units = parseSetComputeUnitLimitInstruction(limitIx as never).data.units;
    if (limits.maxComputeUnits !== undefined && units > limits.maxComputeUnits) {
      return fail(SvmReason.ComputeLimitTooHigh, `compute unit limit ${units} exceeds ${limits.maxComputeUnits}`);
    }
  } catch {
    return fail(SvmReason.ComputeLimit, 'instruction 0 must be ComputeBudget SetComputeUnitLimit');
  }
  try {
    if (priceIx.programAddress !== COMPUTE_BUDGET_PROGRAM_ADDRESS || priceIx.data?.[0] !== SET_COMPUTE_UNIT_PRICE) throw new Error();
    const price = parseSetComputeUnitPriceInstruction(priceIx as never).data.microLamports;
    const cap = limits.maxComputeUnitPrice ?? DEFAULT_MAX_COMPUTE_UNIT_PRICE;
    if (price > cap) return fail(SvmReason.ComputePriceTooHigh, `compute unit price ${price} micro-lamports exceeds ${cap}`);
  } catch {
    return fail(SvmReason.ComputePrice, 'instruction 1 must be ComputeBudget SetComputeUnitPrice');
  }
  return undefined;
}

/** The reference's payer: the 4th account of the first Token / Token-2022 instruction, whatever it is. */
function tokenPayer(d: DecodedSvmTransaction): string | undefined {
  for (const ix of d.compiled.instructions) {
    const program = d.accounts[ix.programAddressIndex];
    if ((program === TOKEN_PROGRAM_ADDRESS || program === TOKEN_2022_PROGRAM_ADDRESS) && (ix.accountIndices?.length ?? 0) >= 4) {
      return d.accounts[ix.accountIndices![3]];
    }
  }
  return undefined;
}

/**
 * Rules 8–18 of the reference verify, in its order: signatures; 3–7 instructions; compute budget; a
 * TransferChecked (Token or Token-2022) third; its authority is no fee payer; mint; destination is payTo's
 * associated token account; exact amount; extra instructions only Memo / Lighthouse; memo rules.
 * Reads nothing from the chain.
 */
export async function svmTransferRules(d: DecodedSvmTransaction, input: SvmRuleInput, limits: SvmRuleLimits): Promise<SvmRuleFailure | SvmTransfer> {
  if (!signaturesValid(d)) return fail(SvmReason.SignatureInvalid, 'a required signature is missing or invalid');
  const ixs = d.instructions;
  if (ixs.length < 3 || ixs.length > 7) return fail(SvmReason.InstructionsLength, `the transaction has ${ixs.length} instructions; 3 to 7 are accepted`);
  const budget = computeBudgetFailure(ixs, limits);
  if (budget) return budget;

  const payer = tokenPayer(d);
  if (!payer) return fail(SvmReason.NoTransfer, 'the transaction has no token transfer');
  const transferIx = ixs[2];
  const program = transferIx.programAddress;
  if ((program !== TOKEN_PROGRAM_ADDRESS && program !== TOKEN_2022_PROGRAM_ADDRESS) || (transferIx.data?.length ?? 0) < 10 || transferIx.data?.[0] !== TRANSFER_CHECKED) {
    return fail(SvmReason.NoTransfer, 'instruction 2 must be a Token or Token-2022 TransferChecked', payer);
  }
  let parsed: ReturnType<typeof parseTransferCheckedInstruction>;
  try {
    parsed = program === TOKEN_PROGRAM_ADDRESS ? parseTransferCheckedInstruction(transferIx as never) : parseTransferChecked2022(transferIx as never);
  } catch {
    return fail(SvmReason.NoTransfer, 'instruction 2 is not a well-formed TransferChecked', payer);
  }
  const authority = parsed.accounts.authority.address;
  if (limits.feePayers.includes(authority)) return fail(SvmReason.FeePayerTransferring, 'the transfer authority is a fee payer of this facilitator', payer);
  if (parsed.accounts.mint.address !== input.asset) return fail(SvmReason.MintMismatch, `the transfer moves mint ${parsed.accounts.mint.address}, not ${input.asset}`, payer);
  let expectedAta: string | undefined;
  try {
    [expectedAta] = await findAssociatedTokenPda({ mint: input.asset as Address, owner: input.payTo as Address, tokenProgram: program });
  } catch {
    expectedAta = undefined;
  }
  if (parsed.accounts.destination.address !== expectedAta) {
    return fail(SvmReason.RecipientMismatch, `the transfer goes to ${parsed.accounts.destination.address}, not payTo's associated token account`, payer);
  }
  if (parsed.data.amount !== input.amount) return fail(SvmReason.AmountMismatch, `the transfer moves ${parsed.data.amount}, the requirements ask for ${input.amount}`, payer);

  const extras = ixs.slice(3);
  for (let i = 0; i < extras.length; i++) {
    const p = extras[i].programAddress;
    if (p !== MEMO_PROGRAM_ADDRESS && p !== LIGHTHOUSE_PROGRAM_ADDRESS) return fail(UNKNOWN_EXTRA[i], `instruction ${i + 3} calls ${p}; only Memo and Lighthouse may follow the transfer`, payer);
  }
  const memo = input.extra.memo;
  if (memo) {
    const memos = extras.filter((ix) => ix.programAddress === MEMO_PROGRAM_ADDRESS);
    if (memos.length !== 1) return fail(SvmReason.MemoCount, `expected exactly one memo, found ${memos.length}`, payer);
    const actual = memos[0].data ? new TextDecoder().decode(Uint8Array.from(memos[0].data)) : '';
    if (actual !== memo) return fail(SvmReason.MemoMismatch, 'the memo differs from paymentRequirements.extra.memo', payer);
  }
  return { ok: true, decoded: d, authority, source: parsed.accounts.source.address, amount: parsed.data.amount };
}
