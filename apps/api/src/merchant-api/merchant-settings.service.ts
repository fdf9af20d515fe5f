import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { getAddress } from 'viem';
import type { SettlementMode } from '@tollgate/persistence';
import { MerchantPolicyRow, MerchantsService } from '../merchants/merchants.service';

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

interface MerchantRow extends MerchantPolicyRow {
  created_at: Date;
  updated_at: Date;
}

/** A merchant's own settings: profile, settlement policy, payTo addresses. */
@Injectable()
export class MerchantSettingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly merchants: MerchantsService,
  ) {}

  /** @throws NotFoundException when the merchant does not exist (deleted while the key was cached). */
  async get(merchantId: string): Promise<MerchantView> {
    const [row]: MerchantRow[] = await this.dataSource.query(
      `SELECT id, name, status, settlement_mode, confirmed_threshold::text, max_unsettled_exposure::text, created_at, updated_at
         FROM merchants WHERE id = $1`,
      [merchantId],
    );
    if (!row) throw new NotFoundException('merchant not found');
    return toView(row);
  }

  /** Applies a policy change and drops this process's cached authentications of the merchant. */
  async updatePolicy(merchantId: string, patch: SettlementPolicyPatch): Promise<SettlementPolicyView> {
    const sets: string[] = [];
    const params: unknown[] = [merchantId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.defaultMode !== undefined) set('settlement_mode', patch.defaultMode);
    if (patch.confirmedThreshold !== undefined) set('confirmed_threshold', patch.confirmedThreshold?.toString() ?? null);
    if (patch.maxUnsettledExposure !== undefined) set('max_unsettled_exposure', patch.maxUnsettledExposure?.toString() ?? null);
    if (sets.length) {
      await this.dataSource.query(`UPDATE merchants SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
      await this.merchants.invalidateMerchant(merchantId);
    }
    return (await this.get(merchantId)).settlementPolicy;
  }

  async listPayTo(merchantId: string): Promise<PayToView[]> {
    const rows: Array<{ address: string; created_at: Date }> = await this.dataSource.query(
      `SELECT address, created_at FROM merchant_pay_to WHERE merchant_id = $1 ORDER BY created_at, address`,
      [merchantId],
    );
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
