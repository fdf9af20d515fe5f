import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only history: one row per state transition of a payment, or one per step of an EVM batch
 * (`paymentId` null, `paymentIds` the payments it moved; see payments/payment-events.sql.ts).
 */
@Entity({ name: 'payment_events' })
export class PaymentEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'payment_id', nullable: true }) paymentId: string | null;
  @Column('uuid', { name: 'payment_ids', array: true, nullable: true }) paymentIds: string[] | null;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus: string | null;
  @Column('text', { name: 'to_status' }) toStatus: string;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('jsonb', { nullable: true }) detail: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
