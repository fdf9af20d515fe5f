/** ISO-8601 text of a timestamp column, null stays null. */
export const isoOrNull = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
