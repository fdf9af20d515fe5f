import type { DataSource, EntityManager } from 'typeorm';

/** A console or admin-API read ran past its statement timeout (Postgres cancelled it; nothing was written). */
export class ConsoleQueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the console query ran past its ${timeoutMs} ms statement timeout`);
    this.name = 'ConsoleQueryTimeoutError';
  }
}

/** SQLSTATE of a statement cancelled by `statement_timeout` (or a cancel request). */
const QUERY_CANCELED = '57014';

function isCancelled(e: unknown): boolean {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  return err?.code === QUERY_CANCELED || err?.driverError?.code === QUERY_CANCELED;
}

/**
 * `ds` as the console repositories see it: every `query` runs in its own short transaction under
 * `SET LOCAL statement_timeout = timeoutMs`, so a console read can neither run long nor leak the
 * setting onto the pool connection that verify and settle use next. A timed-out read throws
 * {@link ConsoleQueryTimeoutError}; everything else of `ds` is passed through unchanged.
 */
export function consoleDataSource(ds: DataSource, timeoutMs: number): DataSource {
  const ms = Math.max(1, Math.floor(timeoutMs));
  const query = async (sql: string, params?: unknown[]): Promise<unknown> => {
    try {
      return await ds.transaction(async (m: EntityManager) => {
        await m.query(`SET LOCAL statement_timeout = ${ms}`);
        return m.query(sql, params);
      });
    } catch (e) {
      if (isCancelled(e)) throw new ConsoleQueryTimeoutError(ms);
      throw e;
    }
  };
  return new Proxy(ds, { get: (target, key, receiver) => (key === 'query' ? query : Reflect.get(target, key, receiver)) });
}
