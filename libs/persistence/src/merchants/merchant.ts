/** How a payment settles when the request does not say: answer at once (`deferred`) or after inclusion. */
export type SettlementMode = 'deferred' | 'confirmed';

/** A business that charges per call and lets Tollgate verify and settle its payments. */
export interface Merchant {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  /** Settle mode used when the request does not ask for one. */
  settlementMode: SettlementMode;
  /** Payments of at least this many atomic units settle in confirmed mode; null = never by amount. */
  confirmedThreshold: bigint | null;
  /** Ceiling (atomic units, per network and asset) on the merchant's accepted-but-unsettled total; null = none. */
  maxUnsettledExposure: bigint | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A merchant's policy columns as Postgres returns them (amounts in atomic units, as text). */
export interface MerchantPolicyRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlement_mode: SettlementMode;
  confirmed_threshold: string | null;
  max_unsettled_exposure: string | null;
  /** `/verify` + `/settle` requests per second; null = the deployment default, 0 = unlimited. */
  rate_limit_per_second: number | null;
}

/** A merchant row with its timestamps (the merchant API's profile). */
export interface MerchantRow extends MerchantPolicyRow {
  created_at: Date;
  updated_at: Date;
}

/** An active or revoked API key as listed (never its hash). */
export interface ApiKeyRow {
  id: string;
  prefix: string;
  /** The label given at creation, or null. */
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
  /** Last authenticated request, to about a minute (written off the hot path); null = never used. */
  last_used_at: Date | null;
}

/** A payTo address the merchant owns (EVM lower-case, Solana base58 as given); retired = refused at verify, kept for history. */
export interface PayToRow {
  address: string;
  created_at: Date;
  retired_at: Date | null;
}

/** Raised when a payTo address already belongs to a merchant. */
export class PayToTakenError extends Error {
  constructor(readonly address: string) {
    super(`payTo ${address} already belongs to a merchant`);
  }
}
