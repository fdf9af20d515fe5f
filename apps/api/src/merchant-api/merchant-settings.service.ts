import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { MerchantRepository, MerchantRow, PayToRow, PayToTakenError, SettlementMode } from '@tollgate/persistence';
import { MerchantsService } from '../merchants/merchants.service';
import { displayAddress } from '@tollgate/evm';

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
  /** `/verify` + `/settle` requests per second set by the operator; null = the deployment default, 0 = unlimited. */
  rateLimitPerSecond: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface PayToView {
  /** EVM: EIP-55 checksummed; Solana: base58 as added. */
  address: string;
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt: string | null;
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

  /** Every payTo address of the merchant, retired ones included, oldest first. */
  async listPayTo(merchantId: string): Promise<PayToView[]> {
    return (await this.repo.listPayTo(merchantId)).map(payToView);
  }

  /**
   * Adds a payTo address (in the stored form of `canonicalPayTo`), or brings back a retired one; verifies to
   * it are accepted from the merchant's next request on, in every API process.
   * @throws ConflictException when another merchant owns the address.
   */
  async addPayTo(merchantId: string, address: string): Promise<PayToView & { created: boolean }> {
    try {
      const { row, changed } = await this.repo.addPayTo(merchantId, address);
      if (changed) await this.merchants.invalidateMerchant(merchantId);
      return { ...payToView(row), created: changed };
    } catch (e) {
      if (e instanceof PayToTakenError) throw new ConflictException('this payTo address belongs to another merchant');
      throw e;
    }
  }

  /**
   * Retires a payTo address: verifies to it are refused from the merchant's next request on; payments already
   * queued for settlement still settle; its payments stay listed. Idempotent.
   * @throws NotFoundException when the merchant does not own the address.
   */
  async retirePayTo(merchantId: string, address: string): Promise<PayToView> {
    const out = await this.repo.retirePayTo(merchantId, address);
    if (!out) throw new NotFoundException('payTo address not found');
    if (out.changed) await this.merchants.invalidateMerchant(merchantId);
    return payToView(out.row);
  }
}

function payToView(r: PayToRow): PayToView {
  return {
    address: displayAddress(r.address),
    status: r.retired_at ? 'retired' : 'active',
    createdAt: new Date(r.created_at).toISOString(),
    retiredAt: r.retired_at ? new Date(r.retired_at).toISOString() : null,
  };
}

function toView(r: MerchantRow): MerchantView {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    settlementPolicy: { defaultMode: r.settlement_mode, confirmedThreshold: r.confirmed_threshold, maxUnsettledExposure: r.max_unsettled_exposure },
    rateLimitPerSecond: r.rate_limit_per_second,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
