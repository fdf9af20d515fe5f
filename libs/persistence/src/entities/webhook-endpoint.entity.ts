import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A merchant's webhook receiver. The signing secret is usable only to sign, so it is stored encrypted
 * (AES-256-GCM, see `@tollgate/webhooks` SecretBox), never hashed and never returned after creation or
 * rotation. During a rotation overlap the previous secret signs too, until `previousSecretExpiresAt`.
 */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpointEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index('idx_webhook_endpoints_merchant_id') @Column('uuid', { name: 'merchant_id' }) merchantId: string;
  @Column('text') url: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'event_types', array: true }) eventTypes: string[];
  /** `disabled` after sustained failure (or by the merchant); nothing is sent until re-enabled. */
  @Column('text', { default: 'active' }) status: 'active' | 'disabled';
  @Column('text', { name: 'secret_ciphertext' }) secretCiphertext: string;
  @Column('text', { name: 'previous_secret_ciphertext', nullable: true }) previousSecretCiphertext: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  /** Start of the current run of failed attempts; cleared by any success. */
  @Column('timestamptz', { name: 'failing_since', nullable: true }) failingSince: Date | null;
  @Column('timestamptz', { name: 'last_success_at', nullable: true }) lastSuccessAt: Date | null;
  @Column('timestamptz', { name: 'last_failure_at', nullable: true }) lastFailureAt: Date | null;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt: Date | null;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason: string | null;
  /** Soft delete: the delivery log stays for the merchant's and admins' records. */
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
