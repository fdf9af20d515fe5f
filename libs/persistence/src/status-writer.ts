import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query-rows';

/** Where a status writer runs: a DataSource (own statement) or the caller's transaction. */
export type StatusRunner = DataSource | EntityManager;

/** A patch value that sets the column to the statement's `now()` (transaction time), as the callers always did. */
export const NOW: { readonly sql: 'now()' } = Object.freeze({ sql: 'now()' as const });

/** Appends a bound parameter and returns its placeholder. */
export type Bind = (value: unknown) => string;

/**
 * The one conditional status UPDATE behind every entity writer:
 * `UPDATE table SET status = to, <patch>, <always> WHERE <where> AND status = ANY(from) RETURNING key`.
 * Column names come from the writer's allow-list (never from callers' data); values are bound.
 * @returns the `key` of every row that moved (empty: nothing was in an expected status).
 */
export async function conditionalStatusUpdate(
  runner: StatusRunner,
  spec: { table: string; key: string; patchable: ReadonlySet<string>; always: readonly string[] },
  where: (bind: Bind) => string,
  from: readonly string[],
  to: string,
  patch: Readonly<Record<string, unknown>> = {},
): Promise<string[]> {
  const params: unknown[] = [];
  const bind: Bind = (value) => {
    params.push(value);
    return `$${params.length}`;
  };
  const sets = [`status = ${bind(to)}`];
  for (const [col, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!spec.patchable.has(col)) throw new Error(`column ${col} of ${spec.table} is not patchable by a status transition`);
    sets.push(`${col} = ${value === NOW ? 'now()' : bind(value)}`);
  }
  sets.push(...spec.always);
  const sql = `WITH moved AS (
      UPDATE ${spec.table} SET ${sets.join(', ')}
       WHERE ${where(bind)} AND status = ANY(${bind([...from])}::text[])
      RETURNING ${spec.key} AS key
    ) SELECT key FROM moved`;
  const rows = await queryRows<{ key: string }>(runner, sql, params);
  return rows.map((r) => r.key);
}

/** Checks every `from → to` against a state machine; `from === to` re-records the outcome (status unchanged). */
export function checkEdges<S extends string>(entity: string, from: readonly S[], to: S, can: (f: S, t: S) => boolean): void {
  for (const f of from) if (f !== to && !can(f, to)) throw new Error(`illegal ${entity} transition ${f} -> ${to}`);
}
