/** UUID text: the id form of payments, batches, merchants and endpoints (anything else is a reference). */
export const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Returns `add(sql, ...values)`, which appends a WHERE fragment to `where`, turning each `?` in it into the
 * next positional parameter (`$n`) bound to `values`. Filters come from user input, so values are always
 * bound, never interpolated.
 */
export function whereAdder(params: unknown[], where: string[]): (sql: string, ...values: unknown[]) => void {
  return (sql, ...values) => {
    let s = sql;
    for (const v of values) {
      params.push(v);
      s = s.replace('?', `$${params.length}`);
    }
    where.push(s);
  };
}

/** `WHERE a AND b`, or nothing. */
export const whereClause = (where: readonly string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');
