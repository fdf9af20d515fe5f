import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant self-service: payTo addresses may be retired (kept for history, refused at verify) and may be
 * Solana base58 public keys as well as EVM addresses; API keys carry a label and a last-used time; a merchant
 * may have its own `/verify` + `/settle` rate limit (null = the deployment default, 0 = unlimited).
 */
export class MerchantSelfService1763840000000 implements MigrationInterface {
  name = 'MerchantSelfService1763840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE merchant_pay_to ADD COLUMN retired_at timestamptz`);
    await q.query(`ALTER TABLE merchant_pay_to DROP CONSTRAINT ck_merchant_pay_to_address`);
    // EVM: lower-case hex. Solana: base58 (no 0, O, I, l) of a 32-byte key, 32-44 characters, case kept.
    await q.query(
      `ALTER TABLE merchant_pay_to ADD CONSTRAINT ck_merchant_pay_to_address CHECK (address ~ '^0x[0-9a-f]{40}$' OR address ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$')`,
    );
    await q.query(`ALTER TABLE merchant_api_keys ADD COLUMN name text, ADD COLUMN last_used_at timestamptz`);
    await q.query(`ALTER TABLE merchant_api_keys ADD CONSTRAINT ck_merchant_api_keys_name CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100)`);
    await q.query(`ALTER TABLE merchants ADD COLUMN rate_limit_per_second integer`);
    await q.query(`ALTER TABLE merchants ADD CONSTRAINT ck_merchants_rate_limit_per_second CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE merchants DROP CONSTRAINT ck_merchants_rate_limit_per_second`);
    await q.query(`ALTER TABLE merchants DROP COLUMN rate_limit_per_second`);
    await q.query(`ALTER TABLE merchant_api_keys DROP CONSTRAINT ck_merchant_api_keys_name`);
    await q.query(`ALTER TABLE merchant_api_keys DROP COLUMN last_used_at, DROP COLUMN name`);
    await q.query(`DELETE FROM merchant_pay_to WHERE address !~ '^0x[0-9a-f]{40}$'`);
    await q.query(`ALTER TABLE merchant_pay_to DROP CONSTRAINT ck_merchant_pay_to_address`);
    await q.query(`ALTER TABLE merchant_pay_to ADD CONSTRAINT ck_merchant_pay_to_address CHECK (address ~ '^0x[0-9a-f]{40}$')`);
    await q.query(`ALTER TABLE merchant_pay_to DROP COLUMN retired_at`);
  }
}
