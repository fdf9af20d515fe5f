import { Injectable, NotFoundException } from '@nestjs/common';
import { getAddress } from 'viem';
import { MerchantRepository, MerchantRow, SettlementMode } from '@tollgate/persistence';
import { MerchantsService } from '../merchants/merchants.service';

/** How a merchant's payments settle. Amounts are decimal strings of atomic units. */
export interface SettlementPolicyView {
  /** Mode used when neither the request header nor the threshold decides. */
  defaultMode: SettlementMode;
  /** Payments of at least this many atomic units settle in confirmed mode; null = never by amount. */
  confirmedThreshold: string | null;
  /** Ceiling on accepted-but-unsettled payments per network and asset (atomic units); null = none. */
  maxUnsettledExposure: string | null;
}

export interface MerchantView {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlementPolicy: SettlementPolicyView;
  createdAt: string;
  updatedAt: string;
}

export interface PayToView {
  /** EIP-55 checksummed. */
  address: string;
  createdAt: string;
}

/** Fields of a policy change; absent = unchanged, null = cleared. */
export interface SettlementPolicyPatch {
  defaultMode?: SettlementMode;
  confirmedThreshold?: bigint | null;
  maxUnsettledExposure?: bigint | null;
}

/** A merchant's own settings: profile, settlement policy, payTo addresses. */
@Injectable()
export class MerchantSettingsService {
  constructor(
    private readonly repo: MerchantRepository,
    private readonly merchants: MerchantsService,
  ) {}

  /** @throws NotFoundException when the merchant does not exist (deleted while the key was cached). */
  async get(merchantId: string): Promise<MerchantView> {
    const row = await this.repo.get(merchantId);
    if (!row) throw new NotFoundException('merchant not found');
    return toView(row);
  }

  /** Applies a policy change and drops this process's cached authentications of the merchant. */
  async updatePolicy(merchantId: string, patch: SettlementPolicyPatch): Promise<SettlementPolicyView> {
    const changed = await this.repo.updatePolicy(merchantId, {
      settlementMode: patch.defaultMode,
      confirmedThreshold: patch.confirmedThreshold,
      maxUnsettledExposure: patch.maxUnsettledExposure,
    });
    if (changed) await this.merchants.invalidateMerchant(merchantId);
    return (await this.get(merchantId)).settlementPolicy;
  }

  async listPayTo(merchantId: string): Promise<PayToView[]> {
    const rows = await this.repo.listPayTo(merchantId);
    return rows.map((r) => ({ address: getAddress(r.address), createdAt: r.created_at.toISOString() }));
  }
}

function toView(r: MerchantRow): MerchantView {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    settlementPolicy: { defaultMode: r.settlement_mode, confirmedThreshold: r.confirmed_threshold, maxUnsettledExposure: r.max_unsettled_exposure },
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
