/** The WHERE builder lives with the SQL in libs/persistence; re-exported for the admin queries until they move there too. */
export { whereAdder } from '@tollgate/persistence';

/** ISO-8601 text of a timestamp column, null stays null. */
export const isoOrNull = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
