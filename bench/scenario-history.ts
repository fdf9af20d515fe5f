/**
 * Scenario 5 (`--history <payments>`): the same runs again with history in the database. Seeds `payments`
 * payments of history with their events (libs/testing `seedConsoleVolume`: ≈ 5.6 events per payment over the
 * last 3 days, on networks the bench does not settle, every one of them closed, their authorizations
 * expired), moves them out of the hot table as the worker would (`PaymentsHistory.moveFinal`, timed),
 * vacuums the hot table, ANALYZEs and checkpoints, then repeats the Tollgate runs of the chosen scenarios (verify, settle, e2e) so the report can put
 * them beside the empty run.
 */
import { PaymentsHistory } from '@tollgate/persistence';
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
  /** Rows in `payments` (hot), `payments_history` and `payment_events` when the runs started. */
  paymentRows: number;
  historyRows: number;
  eventRows: number;
  seedSeconds: number;
  /** Seconds the move of the seeded payments to `payments_history` took (5,000 per statement, as the worker). */
  moveSeconds: number;
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
  // Real history's authorizations have expired (x402 clients sign validBefore = now + maxTimeoutSeconds).
  await db.query(`UPDATE payments SET valid_before = extract(epoch FROM created_at)::bigint + 300 WHERE network <> $1`, [network]);
  const seedSeconds = round((performance.now() - started) / 1000, 1);
  const moveStarted = performance.now();
  const mover = new PaymentsHistory(db);
  while ((await mover.moveFinal({ hotSeconds: 0, limit: 5_000 })) > 0);
  const moveSeconds = round((performance.now() - moveStarted) / 1000, 1);
  // What autovacuum and the checkpointer would do before the next hour's moves: the measured runs should not pay
  // for the seed's million dead rows in the hot table or a checkpoint of its WAL. (This machine's Postgres runs
  // with autovacuum off, a setting that is not ours; production keeps it on.)
  await db.query('VACUUM (ANALYZE) payments');
  await db.query('ANALYZE');
  await db.query('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; best effort
  const [{ p, ph, e }] = await db.query(
    `SELECT (SELECT count(*) FROM payments)::bigint AS p, (SELECT count(*) FROM payments_history)::bigint AS ph, (SELECT count(*) FROM payment_events)::bigint AS e`,
  );
  h.log(
    `history: ${Number(p).toLocaleString('en-US')} payments in the hot table, ${Number(ph).toLocaleString('en-US')} in payments_history ` +
      `(moved in ${moveSeconds} s), ${Number(e).toLocaleString('en-US')} events; seeded in ${seedSeconds} s`,
  );
  const out: HistoryOutcome = { payments, paymentRows: Number(p), historyRows: Number(ph), eventRows: Number(e), seedSeconds, moveSeconds, valid: true };
  if (scenarios.has('verify')) out.verify = await verifyScenario(h, 'tollgate');
  if (scenarios.has('settle')) out.settle = await settleScenario(h, 'tollgate');
  if (scenarios.has('e2e')) out.e2e = await endToEndScenario(h);
  out.valid = (out.verify?.valid ?? true) && (out.settle?.valid ?? true) && (out.e2e?.valid ?? true);
  return out;
}
