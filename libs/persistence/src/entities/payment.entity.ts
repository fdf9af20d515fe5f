import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { PaymentStatus } from '../payments/payment-status';
import { bigintTransformer } from '../transformers';
import type { SettlementMode } from './merchant.entity';

/**
 * One EIP-3009 authorization accepted by Tollgate. Unique on (network, asset, payer, nonce): one
 * authorization is one payment, forever. Addresses are stored lower-case; amounts in atomic units.
 */
@Entity({ name: 'payments' })
export class PaymentEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Public, unguessable reference handed to merchants and payers (`pay_…`). */
  @Column('text', { unique: true }) reference: string;
  @Column('uuid', { name: 'merchant_id' }) merchantId: string;
  @Column('smallint', { name: 'x402_version' }) x402Version: number;
  @Column('text') scheme: string;
  /** CAIP-2, e.g. eip155:8453. */
  @Column('text') network: string;
  @Column('text') asset: string;
  @Column('text') payer: string;
  @Column('text', { name: 'pay_to' }) payTo: string;
  @Column('numeric', { precision: 78, scale: 0, transformer: bigintTransformer }) amount: bigint;
  /** Unix seconds, as signed. */
  @Column('numeric', { name: 'valid_after', precision: 78, scale: 0, transformer: bigintTransformer }) validAfter: bigint;
  @Column('numeric', { name: 'valid_before', precision: 78, scale: 0, transformer: bigintTransformer }) validBefore: bigint;
  /** `validBefore` as a timestamp (capped), for deadline-ordered queue scans. */
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('text') nonce: string;
  @Column('text') signature: string;
  @Column('text') status: PaymentStatus;
  @Column('text', { name: 'settlement_mode', nullable: true }) settlementMode: SettlementMode | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  @Column('text', { name: 'failure_message', nullable: true }) failureMessage: string | null;
  @Column('text', { name: 'payment_identifier', nullable: true }) paymentIdentifier: string | null;
  @Column('uuid', { name: 'batch_id', nullable: true }) batchId: string | null;
  @Column('text', { name: 'tx_hash', nullable: true }) txHash: string | null;
  @Column('integer', { name: 'log_index', nullable: true }) logIndex: number | null;
  @Column('bigint', { name: 'block_number', nullable: true }) blockNumber: string | null;
  @Column('text', { name: 'block_hash', nullable: true }) blockHash: string | null;
  /** Times the payment went back to the queue (retriable failures, reorgs). */
  @Column('integer', { default: 0 }) attempts: number;
  @Column('jsonb') requirements: Record<string, unknown>;
  @Column('timestamptz', { name: 'queued_at', nullable: true }) queuedAt: Date | null;
  @Column('timestamptz', { name: 'included_at', nullable: true }) includedAt: Date | null;
  @Column('timestamptz', { name: 'confirmed_at', nullable: true }) confirmedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
