export { whereAdder } from '../sql-where';

/** UUID text: the id form of payments, batches, merchants and endpoints (anything else is a reference). */
export const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `WHERE a AND b`, or nothing. */
export const whereClause = (where: readonly string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');
