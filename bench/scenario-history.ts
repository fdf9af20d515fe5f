/**
 * Scenario 5 (`--history <payments>`): the same runs again with history in the database. Seeds `payments`
 * payments of history with their events (libs/testing `seedConsoleVolume`: ≈ 5.6 events per payment over the
 * last 3 days, on networks the bench does not settle, every one of them closed), ANALYZEs, then repeats the
 * Tollgate runs of the chosen scenarios (verify, settle, e2e) so the report can put them beside the empty run.
 */
import { seedConsoleVolume } from '@tollgate/testing';
import type { Harness } from './harness';
import type { EndToEndOutcome, SettleOutcome, VerifyOutcome } from './results';
import { round } from './results';
import { endToEndScenario } from './scenario-e2e';
import { settleScenario } from './scenario-settle';
import { verifyScenario } from './scenario-verify';

export interface HistoryOutcome {
  /** Payments of history seeded. */
  payments: number;
  /** Rows in `payments` and `payment_events` when the runs started. */
  paymentRows: number;
  eventRows: number;
  seedSeconds: number;
  verify?: VerifyOutcome;
  settle?: SettleOutcome;
  e2e?: EndToEndOutcome;
  valid: boolean;
}

/** Seeds the history, then runs the chosen scenarios against Tollgate again. */
export async function historyScenario(h: Harness, payments: number, scenarios: ReadonlySet<string>): Promise<HistoryOutcome> {
  const db = h.stack.db;
  const started = performance.now();
  h.log(`history: seeding ${payments.toLocaleString('en-US')} payments of history`);
  await seedConsoleVolume(db, payments, (line) => h.log(`history: ${line.trim()}`));
  // The seed leaves its newest two minutes open (verified … included) on networks this stack has no chain
  // for; close them, so that the worker's sweeps see only the bench's own work, as with an old history.
  const network = h.stack.deployment.network;
  await db.query(`UPDATE payments SET status = 'confirmed' WHERE network <> $1 AND status NOT IN ('confirmed', 'failed', 'lapsed')`, [network]);
  await db.query(`UPDATE settlement_batches SET status = 'confirmed' WHERE network <> $1 AND status <> 'confirmed'`, [network]);
  await db.query('ANALYZE');
  const seedSeconds = round((performance.now() - started) / 1000, 1);
  const [{ p, e }] = await db.query(`SELECT (SELECT count(*) FROM payments)::bigint AS p, (SELECT count(*) FROM payment_events)::bigint AS e`);
  h.log(`history: ${Number(p).toLocaleString('en-US')} payments, ${Number(e).toLocaleString('en-US')} events after ${seedSeconds} s`);
  const out: HistoryOutcome = { payments, paymentRows: Number(p), eventRows: Number(e), seedSeconds, valid: true };
  if (scenarios.has('verify')) out.verify = await verifyScenario(h, 'tollgate');
  if (scenarios.has('settle')) out.settle = await settleScenario(h, 'tollgate');
  if (scenarios.has('e2e')) out.e2e = await endToEndScenario(h);
  out.valid = (out.verify?.valid ?? true) && (out.settle?.valid ?? true) && (out.e2e?.valid ?? true);
  return out;
}
