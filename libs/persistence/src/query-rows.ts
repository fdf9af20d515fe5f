import type { DataSource, EntityManager } from 'typeorm';

/**
 * Rows of a raw query. TypeORM's Postgres driver answers a bare `UPDATE … RETURNING` with
 * `[rows, rowCount]` but a SELECT (or a `WITH … SELECT`) with the rows alone; this hides the difference.
 */
export async function queryRows<T>(runner: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await runner.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
