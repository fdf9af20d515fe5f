import { MigrationInterface, QueryRunner } from 'typeorm';

const EVM = `'^0x[0-9a-f]{40}$'`;
const BASE58 = `'^[1-9A-HJ-NP-Za-km-z]{32,44}$'`;

/**
 * Solana (issue #15): payTo addresses, payers and mints are base58 there, case-sensitive, never lower-cased.
 * The address checks become per family — EVM rows keep exactly their old rule (lower-case hex), Solana rows
 * (`network` `solana:…`) must be base58 — and merchant payTo addresses may be either form. The nonce check
 * stays: a Solana payment's nonce is its message hash, `0x` + 64 hex digits.
 */
export class SolanaAddresses1763845000000 implements MigrationInterface {
  name = 'SolanaAddresses1763845000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE merchant_pay_to DROP CONSTRAINT ck_merchant_pay_to_address`);
    await q.query(`ALTER TABLE merchant_pay_to ADD CONSTRAINT ck_merchant_pay_to_address CHECK (address ~ ${EVM} OR address ~ ${BASE58})`);
    await q.query(`ALTER TABLE payments DROP CONSTRAINT ck_payments_addresses`);
    await q.query(`
      ALTER TABLE payments ADD CONSTRAINT ck_payments_addresses CHECK (
        CASE WHEN network LIKE 'solana:%'
          THEN asset ~ ${BASE58} AND payer ~ ${BASE58} AND pay_to ~ ${BASE58}
          ELSE asset ~ ${EVM} AND payer ~ ${EVM} AND pay_to ~ ${EVM}
        END)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments DROP CONSTRAINT ck_payments_addresses`);
    await q.query(`ALTER TABLE payments ADD CONSTRAINT ck_payments_addresses CHECK (asset ~ ${EVM} AND payer ~ ${EVM} AND pay_to ~ ${EVM})`);
    await q.query(`ALTER TABLE merchant_pay_to DROP CONSTRAINT ck_merchant_pay_to_address`);
    await q.query(`ALTER TABLE merchant_pay_to ADD CONSTRAINT ck_merchant_pay_to_address CHECK (address ~ ${EVM})`);
  }
}
