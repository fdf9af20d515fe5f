import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

import type { WebhookDeliveryStatus } from '../webhooks/webhook-delivery-status';

export type { WebhookDeliveryStatus };

/**
 * One event for one endpoint (the outbox row), written in the same transaction as the change that causes
 * it. Attempts follow the configured schedule; each is a {@link WebhookAttemptEntity}. A replay is a new
 * row with the same `messageId` and snapshot and `replayOf` pointing at the original.
 */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'endpoint_id' }) endpointId: string;
  @Column('uuid', { name: 'merchant_id' }) merchantId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  /** The `webhook-id` header: stable across attempts and replays so receivers can deduplicate. */
  @Column('text', { name: 'message_id' }) messageId: string;
  @Column('uuid', { name: 'payment_id', nullable: true }) paymentId: string | null;
  @Column('bigint', { name: 'payment_event_id', nullable: true }) paymentEventId: string | null;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  /** State at the time of the change (payment events: a PaymentSnapshot). */
  @Column('jsonb') snapshot: Record<string, unknown>;
  @Column('text', { default: 'pending' }) status: WebhookDeliveryStatus;
  @Column('integer', { name: 'attempt_count', default: 0 }) attemptCount: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  /** When a job was last made for this row; null = the relay has not seen it yet. */
  @Column('timestamptz', { name: 'job_enqueued_at', nullable: true }) jobEnqueuedAt: Date | null;
  /** An attempt in flight holds the row until then (a crashed worker's claim simply expires). */
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil: Date | null;
  @Column('integer', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('uuid', { name: 'replay_of', nullable: true }) replayOf: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
