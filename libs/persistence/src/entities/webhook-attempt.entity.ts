import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One HTTP attempt of a webhook delivery (append-only). */
@Entity({ name: 'webhook_attempts' })
export class WebhookAttemptEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'delivery_id' }) deliveryId: string;
  /** 1-based. */
  @Column('integer') attempt: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  /** Null when no response arrived (timeout, refused connection, blocked address). */
  @Column('integer', { name: 'status_code', nullable: true }) statusCode: number | null;
  @Column('integer', { name: 'latency_ms' }) latencyMs: number;
  /** First 1024 characters of the response body. */
  @Column('text', { name: 'response_body', nullable: true }) responseBody: string | null;
  @Column('text', { nullable: true }) error: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
