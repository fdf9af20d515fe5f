import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { acceptArgs, createTestDatabase } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { PaymentsHistory } from '../history/payments-history';
import { MerchantPaymentRepository } from '../merchants/merchant-payment-repository';
import { PaymentLedger } from './payment-ledger';
import { referenceMatchSql } from './payment-reference';

/** The UUID a minted reference encodes (`pay_` + base64url of its 16 bytes), as text. */
const encodedId = (reference: string): string => {
  const h = Buffer.from(reference.slice(4), 'base64url').toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/**
 * References encode payment ids (migration 1764010000000): a payment accepted with a minted reference takes the
 * id it encodes and is found by reference through the primary key, in the hot table and in history; a
 * reference that encodes no id (one minted before the migration) is still found and still unique.
 */
describe('payment references', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ds: DataSource;
  let ledger: PaymentLedger;
  const merchantId = '00000000-0000-4000-8000-000000000002';

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'reference test')`, [merchantId]);
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    ledger = new PaymentLedger(ds, pool);
  });
  afterAll(async () => {
    await pool.end();
    await ds.destroy();
    await db.drop();
  });

  const find = async (reference: string): Promise<string[]> =>
    (await ds.query(`SELECT p.id FROM payments_all p WHERE ${referenceMatchSql('p', '$1')}`, [reference])).map((r: { id: string }) => r.id);

  it('gives a payment the id its reference encodes, and finds old and new references in both tables', async () => {
    const minted = acceptArgs({ merchantId });
    const [created] = await Promise.all([ledger.accept(minted), ledger.accept(acceptArgs({ merchantId }))]);
    expect(created.outcome).toBe('created');
    expect(created.payment_id!).toBe(encodedId(minted.reference));

    // One created before the migration: a random id, unrelated to its reference.
    const legacy = `pay_${randomBytes(16).toString('base64url')}`;
    const [{ id: legacyId }] = await ds.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                             expires_at, nonce, signature, status, requirements)
       VALUES ($1, $2, 2, 'exact', 'eip155:31337', $3, $4, $3, 1000, 0, 1, now(), $5, '0x', 'confirmed', '{}') RETURNING id`,
      [legacy, merchantId, `0x${'a'.repeat(40)}`, `0x${randomBytes(20).toString('hex')}`, `0x${randomBytes(32).toString('hex')}`],
    );
    expect(legacyId).not.toBe(encodedId(legacy));

    expect(await find(minted.reference)).toEqual([created.payment_id!]);
    expect(await find(legacy)).toEqual([legacyId]);
    // A reference that decodes to an existing id but is not that payment's finds nothing.
    expect(await find(`pay_${Buffer.from(created.payment_id!.replace(/-/g, ''), 'hex').toString('base64url')}x`)).toEqual([]);
    expect(await find('pay_AAAAAAAAAAAAAAAAAAAAAA')).toEqual([]);
    // Only the legacy reference is in the unique index of references; it still refuses a second payment with it.
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM payments WHERE id IS DISTINCT FROM tollgate_reference_id(reference)`);
    expect(n).toBe(1);
    await expect(ds.query(`UPDATE payments SET reference = $1 WHERE id = $2`, [legacy, created.payment_id!])).rejects.toThrow(/uq_payments_reference_unencoded/);

    // In history (both moved: final, authorization expired), both are found the same way, and by the merchant API.
    await ds.query(`UPDATE payments SET status = 'confirmed', valid_before = 1, updated_at = now() - interval '1 day' WHERE id = ANY($1::uuid[])`, [
      [created.payment_id!, legacyId],
    ]);
    expect(await new PaymentsHistory(ds).moveFinal({ hotSeconds: 60, limit: 10 })).toBe(2);
    expect(await find(minted.reference)).toEqual([created.payment_id!]);
    expect(await find(legacy)).toEqual([legacyId]);
    const merchants = new MerchantPaymentRepository(ds);
    expect((await merchants.detail(merchantId, minted.reference))?.id).toBe(created.payment_id!);
    expect((await merchants.publicStatus(legacy))?.status).toBe('confirmed');
  });
});
