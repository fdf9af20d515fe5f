import { formatUnits } from 'viem';
import { displayAddress } from '@tollgate/evm';
import type { TollgateConfig } from '@tollgate/config';
import { ENDPOINT_DISABLED_EVENT, PaymentSnapshot, SETTLEMENT_WEBHOOK_EVENT_TYPES, SettlementSnapshot, TEST_EVENT } from '@tollgate/persistence';

/** Decimals and symbol of the assets Tollgate serves, from configuration. */
export class AssetDirectory {
  private readonly assets = new Map<string, { decimals: number; symbol: string }>();

  constructor(networks: TollgateConfig['networks']) {
    for (const n of networks) for (const a of n.assets) this.assets.set(`${n.network}|${a.address.toLowerCase()}`, { decimals: a.decimals, symbol: a.symbol });
  }

  get(network: string, asset: string): { decimals: number; symbol: string } | undefined {
    return this.assets.get(`${network}|${asset.toLowerCase()}`);
  }

  /** Atomic units as a decimal string (`"10000"` → `"0.01"` for 6 decimals); null for an unknown asset. */
  decimal(network: string, asset: string, atomic: bigint | string): string | null {
    const a = this.get(network, asset);
    return a ? formatUnits(BigInt(atomic), a.decimals) : null;
  }
}

/** `data` of every `payment.*` event. Addresses EIP-55 checksummed; big integers as decimal strings. */
export interface PaymentEventData {
  /** Tollgate's payment reference (`pay_…`), as returned by `/settle`. */
  reference: string;
  status: string;
  previousStatus: string | null;
  reason: string | null;
  /** CAIP-2. */
  network: string;
  asset: string;
  /** Token symbol when the asset is configured. */
  symbol: string | null;
  payer: string;
  payTo: string;
  /** Atomic units. */
  amount: string;
  /** `amount` in whole tokens, e.g. `"0.01"`; null when the asset's decimals are unknown. */
  amountDecimal: string | null;
  decimals: number | null;
  settlementMode: string | null;
  /** Settlement transaction hash, once included. */
  transaction: string | null;
  /** Index of the token's `AuthorizationUsed` log in that transaction's receipt. */
  logIndex: number | null;
  blockNumber: string | null;
  failureReason: string | null;
  failureMessage: string | null;
  /** `payment.reorged` only: the transaction whose block was reorganised away. */
  reorgedTransaction?: string | null;
  reorgedBlockNumber?: string | null;
}

/** The JSON body of a webhook (Standard Webhooks shape: `type`, `timestamp`, `data`). */
export interface WebhookPayload<D = Record<string, unknown>> {
  type: string;
  /** ISO-8601 time of the change (not of the attempt; that is the `webhook-timestamp` header). */
  timestamp: string;
  data: D;
}

/** Builds a `payment.*` payload from the snapshot taken in the transition's statement. */
export function buildPaymentPayload(type: string, occurredAt: Date, s: PaymentSnapshot, assets: AssetDirectory): WebhookPayload<PaymentEventData> {
  const asset = assets.get(s.network, s.asset);
  const data: PaymentEventData = {
    reference: s.reference,
    status: s.status,
    previousStatus: s.previousStatus,
    reason: s.reason,
    network: s.network,
    asset: displayAddress(s.asset),
    symbol: asset?.symbol ?? null,
    payer: displayAddress(s.payer),
    payTo: displayAddress(s.payTo),
    amount: s.amount,
    amountDecimal: asset ? formatUnits(BigInt(s.amount), asset.decimals) : null,
    decimals: asset?.decimals ?? null,
    settlementMode: s.settlementMode,
    transaction: s.txHash,
    logIndex: s.logIndex,
    blockNumber: s.blockNumber,
    failureReason: s.failureReason,
    failureMessage: s.failureMessage,
  };
  if (type === 'payment.reorged') {
    const d = s.detail ?? {};
    data.reorgedTransaction = typeof d.txHash === 'string' ? d.txHash : null;
    data.reorgedBlockNumber = typeof d.blockNumber === 'string' ? d.blockNumber : null;
  }
  return { type, timestamp: occurredAt.toISOString(), data };
}

/** One payment in a `settlement.*` event. Addresses EIP-55 checksummed; big integers as decimal strings. */
export interface SettlementPaymentData {
  reference: string;
  payer: string;
  payTo: string;
  asset: string;
  /** Atomic units. */
  amount: string;
  nonce: string;
  /** CAIP-2. */
  network: string;
  transaction: string | null;
  /** Index of the payment's `AuthorizationUsed` log in `transaction`. */
  logIndex: number | null;
  blockNumber: string | null;
}

/** `data` of a `settlement.included` / `settlement.confirmed` event: one merchant's payments in one batch. */
export interface SettlementEventData {
  batchId: string;
  status: 'included' | 'confirmed';
  network: string;
  asset: string;
  symbol: string | null;
  decimals: number | null;
  transaction: string | null;
  blockNumber: string | null;
  /** Payments listed and their sum (atomic units; `amountDecimal` in whole tokens when the asset is known). */
  count: number;
  amount: string;
  amountDecimal: string | null;
  payments: SettlementPaymentData[];
}

/** Builds a `settlement.*` payload from the snapshot taken in the batch transition's statement. */
export function buildSettlementPayload(type: string, occurredAt: Date, s: SettlementSnapshot, assets: AssetDirectory): WebhookPayload<SettlementEventData> {
  const asset = assets.get(s.network, s.asset);
  const data: SettlementEventData = {
    batchId: s.batchId,
    status: s.status,
    network: s.network,
    asset: displayAddress(s.asset),
    symbol: asset?.symbol ?? null,
    decimals: asset?.decimals ?? null,
    transaction: s.txHash,
    blockNumber: s.blockNumber,
    count: s.count,
    amount: s.amount,
    amountDecimal: asset ? formatUnits(BigInt(s.amount), asset.decimals) : null,
    payments: s.payments.map((p) => ({
      reference: p.reference,
      payer: displayAddress(p.payer),
      payTo: displayAddress(p.payTo),
      asset: displayAddress(p.asset),
      amount: p.amount,
      nonce: p.nonce,
      network: p.network,
      transaction: p.txHash,
      logIndex: p.logIndex,
      blockNumber: p.blockNumber,
    })),
  };
  return { type, timestamp: occurredAt.toISOString(), data };
}

/** Snapshot of a `webhook_endpoint.disabled` event. */
export interface EndpointDisabledSnapshot {
  endpointId: string;
  url: string;
  reason: string;
  failingSince: string | null;
  disabledAt: string;
}

/** Snapshot of a `webhook.test` event. */
export interface TestEventSnapshot {
  endpointId: string;
  message: string;
}

/**
 * The payload of a stored delivery, rebuilt deterministically from its snapshot so that every attempt and
 * every replay carries the same body.
 */
export function buildPayload(type: string, occurredAt: Date, snapshot: Record<string, unknown>, assets: AssetDirectory): WebhookPayload {
  if (type.startsWith('payment.')) return buildPaymentPayload(type, occurredAt, snapshot as unknown as PaymentSnapshot, assets) as unknown as WebhookPayload;
  if ((SETTLEMENT_WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
    return buildSettlementPayload(type, occurredAt, snapshot as unknown as SettlementSnapshot, assets) as unknown as WebhookPayload;
  }
  if (type === ENDPOINT_DISABLED_EVENT || type === TEST_EVENT) return { type, timestamp: occurredAt.toISOString(), data: { ...snapshot } };
  throw new Error(`unknown webhook event type ${type}`);
}
