import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The first answer to a `/settle` that carried a `payment-identifier` id, so that a retry with the same
 * id and the same payload gets the same answer (x402 payment-identifier extension).
 */
@Entity({ name: 'settle_requests' })
export class SettleRequestEntity {
  @PrimaryColumn('uuid', { name: 'merchant_id' }) merchantId: string;
  @PrimaryColumn('text', { name: 'payment_identifier' }) paymentIdentifier: string;
  /** SHA-256 of the canonical payment payload + requirements. */
  @Column('text', { name: 'request_hash' }) requestHash: string;
  @Column('uuid', { name: 'payment_id', nullable: true }) paymentId: string | null;
  @Column('jsonb') response: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
