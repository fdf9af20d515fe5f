/**
 * Returns `add(sql, ...values)`, which appends a WHERE fragment to `where`, turning each `?` in it into the
 * next positional parameter (`$n`) bound to `values`. Filters are built from user input, so values are
 * always bound, never interpolated.
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

/** ISO-8601 text of a timestamp column, null stays null. */
export const isoOrNull = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
