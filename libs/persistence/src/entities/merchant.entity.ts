import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Merchant, SettlementMode } from '../merchants/merchant';
import { bigintTransformer } from '../transformers';

export type { SettlementMode };

/** A business that charges per call and lets Tollgate verify and settle its payments (written by MerchantRepository.create). */
@Entity({ name: 'merchants' })
export class MerchantEntity implements Merchant {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { default: 'active' }) status: 'active' | 'suspended';
  /** Settle mode used when the request does not ask for one. */
  @Column('text', { name: 'settlement_mode', default: 'deferred' }) settlementMode: SettlementMode;
  /** Payments of at least this many atomic units settle in confirmed mode; null = never by amount. */
  @Column('numeric', { name: 'confirmed_threshold', precision: 78, scale: 0, nullable: true, transformer: bigintTransformer })
  confirmedThreshold: bigint | null;
  /** Ceiling (atomic units, per network and asset) on the merchant's accepted-but-unsettled total; null = none. */
  @Column('numeric', { name: 'max_unsettled_exposure', precision: 78, scale: 0, nullable: true, transformer: bigintTransformer })
  maxUnsettledExposure: bigint | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
