/**
 * Scenario 5 (issue #16): one payer with many payments in flight. The verify sweep runs twice back to back on
 * the same stack: first with `--payers` fresh payers per step (the usual scenario 1), then with one payer that
 * already has {@link SINGLE_PAYER_IN_FLIGHT} `verified` payments in flight (seeded straight into Postgres with
 * expiries spread over the next hour, one per second: an agent wallet paying continuously with one-hour
 * authorizations) and keeps every payment the sweep adds. The exposure guard must cost the same in both; the
 * target is the single payer within 10 % of the many-payer rate. Postgres writes per verify are measured in
 * both runs.
 */
import { type DevchainAccount } from '@tollgate/devchain';
import { round, type VerifyOutcome } from './results';
import { type Harness } from './harness';
import { AMOUNT } from './flags';
import { verifyScenario } from './scenario-verify';

export const SINGLE_PAYER_IN_FLIGHT = 10_000;

export interface SinglePayerOutcome {
  inFlight: number;
  /** Payers per step of the baseline run. */
  payers: number;
  baseline: VerifyOutcome;
  single: VerifyOutcome;
  /** Best single-payer rate over the best baseline rate (both within the p99 limit). */
  ratio: number | null;
}

/** Inserts `count` verified payments of `payer` to the bench merchant, expiring one per second over the next hour. */
async function seedInFlight(h: Harness, payer: DevchainAccount, count: number): Promise<void> {
  const d = h.stack.deployment;
  await h.stack.db.query(
    `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after,
                           valid_before, expires_at, nonce, signature, status, requirements)
     SELECT 'bench_seed_' || g || '_' || $4, $1, 2, 'exact', $2, $3, $4, $5, $6, 0,
            extract(epoch FROM now())::bigint + 120 + g % 3540, to_timestamp(extract(epoch FROM now())::bigint + 120 + g % 3540),
            '0x' || lpad(to_hex(g), 64, '0'), '0x', 'verified', '{}'
       FROM generate_series(1, $7::int) g`,
    [h.stack.merchantId, `eip155:${d.chainId}`, d.token.address.toLowerCase(), payer.address.toLowerCase(), h.stack.payTo.toLowerCase(), AMOUNT.toString(), count],
  );
}

export async function singlePayerScenario(h: Harness): Promise<SinglePayerOutcome> {
  h.log(`single payer: baseline with ${h.flags.payers} payers per step`);
  const baseline = await verifyScenario(h, 'tollgate', { measureWrites: true });
  const [payer] = await h.stack.fundPayers(1);
  await seedInFlight(h, payer, SINGLE_PAYER_IN_FLIGHT);
  h.log(`single payer: one payer with ${SINGLE_PAYER_IN_FLIGHT.toLocaleString('en-US')} verified payments in flight (and every one this run adds)`);
  const single = await verifyScenario(h, 'tollgate', {
    measureWrites: true,
    payers: async () => {
      h.signing.payers = [payer];
    },
  });
  const ratio = baseline.best && single.best ? round(single.best.rps / baseline.best.rps, 2) : null;
  const fastest = (o: VerifyOutcome) => Math.max(0, ...o.steps.map((s) => s.rps));
  if (ratio === null) h.log(`  no step met the p99 limit; fastest steps: ${round(fastest(single), 0)} vs ${round(fastest(baseline), 0)} req/s`);
  h.log(`  single payer / ${h.flags.payers} payers: ${ratio ?? '–'}`);
  return { inFlight: SINGLE_PAYER_IN_FLIGHT, payers: h.flags.payers, baseline, single, ratio };
}
