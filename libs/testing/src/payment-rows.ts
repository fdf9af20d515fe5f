import type { Pool } from 'pg';

/**
 * Inserts `n` payment rows directly (no accept rule, no events) for database tests, answering their ids in insert
 * order: `status`, merchant `merchantId`, lane `eip155:31337` / `asset`, payTo `0xbb…bb`, amounts 1001, 1002, …
 * (atomic units), valid for an hour, fresh nonces and references, payers cycling over `payers` addresses
 * (`0x00…00`, `0x00…01`, …).
 */
export async function insertPaymentRows(
  pool: Pick<Pool, 'query'>,
  o: { merchantId: string; asset: string; n: number; status: string; payers: number },
): Promise<string[]> {
  const { rows } = await pool.query(
    `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                           expires_at, nonce, signature, status, requirements)
     SELECT 'ref_' || md5(random()::text), $1, 2, 'exact', 'eip155:31337', $2, '0x' || lpad(to_hex(g % $5::int), 40, '0'), '0x' || repeat('b', 40),
            1000 + g, 0, 9999999999, now() + interval '1 hour', '0x' || md5(random()::text) || md5(random()::text), '0x', $4, '{}'::jsonb
       FROM generate_series(1, $3::int) g
     RETURNING id`,
    [o.merchantId, o.asset, o.n, o.status, o.payers],
  );
  return rows.map((r: { id: string }) => r.id);
}
