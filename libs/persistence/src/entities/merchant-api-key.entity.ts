import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A merchant API key. Only a SHA-256 of the secret is stored; `prefix` lets humans recognise it. */
@Entity({ name: 'merchant_api_keys' })
export class MerchantApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index('idx_merchant_api_keys_merchant_id') @Column('uuid', { name: 'merchant_id' }) merchantId: string;
  @Column('text') prefix: string;
  @Column('text', { name: 'key_hash', unique: true }) keyHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
