/**
 * `@tollgate/persistence`: Postgres is the source of truth, and this library holds every SQL statement.
 * One folder per aggregate — payments (the ledger, its state machine and the accept rule), settlement
 * (batches, relayers, relayer transactions, lanes), webhooks (endpoints, deliveries, the outbox), merchants
 * (merchants, payTo addresses, API keys), admin (console reads, audit, operator actions, admin users) and
 * worker (its metrics reads, heartbeats) and history (`payment_events` partitions and their archive) — plus the shared status writer, locks, data source and migrate CLI.
 */
export * from './entities';
export * from './payments';
export * from './settlement';
export * from './webhooks';
export * from './merchants';
export * from './admin';
export * from './worker';
export * from './history';
export * from './data-source';
export * from './transformers';
export * from './database';
export * from './query-rows';
export { NOW, StatusRunner } from './status-writer';
export * from './advisory-locks';
export * from './sql-where';
export * from './settlement/svm-transaction-store';
