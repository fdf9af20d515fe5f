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

/**
 * SQL rendering a timestamptz column as a keyset cursor's text form (UTC, microseconds): a JS Date would
 * round to milliseconds and skip or repeat rows created within one.
 */
export function cursorTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** A keyset position over `(timestamp, id)`, newest first: `ts` as {@link cursorTimestampSql} renders it. */
export interface KeysetCursor {
  ts: string;
  id: string;
}
