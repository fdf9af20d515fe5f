import { z } from 'zod';
import { isRealInstant, uuidParam } from '../merchant-api/validation';

/**
 * zod schemas of every query, body and path parameter of the admin API and the console (parse them with
 * `parseInput`, which answers 400 naming the field). The console's forms send `''` for an empty field, so
 * blank means absent; a key given twice (`?payer=a&payer=b`) is refused rather than guessed at.
 */

const blank = (v: unknown): unknown => (v === '' ? undefined : v);
const ONCE = 'must be given once, as text';

/** Optional free text, given once, at most `max` characters. */
export function text(max = 200) {
  return z.preprocess(blank, z.string({ invalid_type_error: ONCE }).max(max, `must be at most ${max} characters`).optional());
}

/** Optional whole number in [min, max] written in decimal digits (no `1e21`, `Infinity`, `-1` or `0x10`); `def` when absent. */
export function wholeNumber(min: number, max: number, def: number) {
  const msg = `must be a whole number from ${min} to ${max}`;
  return z
    .preprocess(
      blank,
      z
        .string({ invalid_type_error: ONCE })
        .regex(/^\d{1,9}$/, msg)
        .transform(Number)
        .refine((n) => n >= min && n <= max, msg)
        .optional(),
    )
    .transform((v) => v ?? def);
}

/**
 * Optional date-time: ISO-8601, with or without a zone (none = UTC, as the console's date-time inputs send),
 * or a bare date (midnight UTC). Refuses what is not a real instant.
 */
export const dateTime = z.preprocess(
  blank,
  z
    .string({ invalid_type_error: ONCE })
    .max(40)
    .transform((v) => (/^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00Z` : /(Z|[+-]\d\d:?\d\d)$/i.test(v) ? v : `${v}Z`))
    .refine(isRealInstant, 'must be a date-time such as 2025-01-31T12:00:00Z (a real date; no zone means UTC)')
    .transform((v) => new Date(v))
    .optional(),
);

/** Paging shared by the lists: offset 0-1,000,000 (deeper pages are a filter's job). */
const MAX_OFFSET = 1_000_000;

export const paymentsQuery = z.object({
  status: text(40),
  merchant: text(),
  payer: text(100),
  payTo: text(100),
  network: text(100),
  reason: text(100),
  q: text(),
  from: dateTime,
  to: dateTime,
  limit: wholeNumber(1, 200, 50),
  offset: wholeNumber(0, MAX_OFFSET, 0),
});

export const batchesQuery = z.object({
  status: text(40),
  network: text(100),
  limit: wholeNumber(1, 200, 50),
  offset: wholeNumber(0, MAX_OFFSET, 0),
});

export const failuresQuery = z.object({ hours: wholeNumber(1, 24 * 7, 24) });

/**
 * A keyset cursor of the deliveries list, `<created_at>_<id>` as the page's last row gave it
 * (`2026-01-02T03:04:05.123456Z_<uuid>`); parsed to `{ createdAt, id }`.
 */
export const deliveriesCursor = z.preprocess(
  blank,
  z
    .string({ invalid_type_error: ONCE })
    .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be the cursor of an "older" link (<created_at>_<id>)')
    .refine((v) => isRealInstant(v.slice(0, v.indexOf('_'))), 'must be the cursor of an "older" link (<created_at>_<id>)')
    .transform((v) => ({ createdAt: v.slice(0, v.indexOf('_')), id: v.slice(v.indexOf('_') + 1).toLowerCase() }))
    .optional(),
);

export const deliveriesQuery = z.object({
  merchant: text(100),
  endpoint: text(100),
  status: text(40),
  before: deliveriesCursor,
  limit: wholeNumber(1, 200, 50),
  offset: wholeNumber(0, MAX_OFFSET, 0),
});

export const auditQuery = z.object({
  targetType: text(100),
  targetId: text(),
  action: text(100),
  actor: text(),
  limit: wholeNumber(1, 500, 100),
  offset: wholeNumber(0, MAX_OFFSET, 0),
});

/** `{reason}` of void and pause (console forms carry `_csrf` too, which is ignored here). */
export const reasonBody = z.object({ reason: text(500) });

const payToList = z.preprocess(
  (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : String(v).split(/[\s,]+/)),
  z.array(z.string({ invalid_type_error: 'must be addresses as text' }).max(100, 'must be addresses')).max(50, 'at most 50 addresses'),
);

/** `{name, payTo, settlementMode?, confirmedThreshold?}`; `payTo` is a list or one string of addresses separated by commas or spaces. */
export const createMerchantBody = z.object({
  name: text(200),
  payTo: payToList,
  settlementMode: text(20),
  confirmedThreshold: z.preprocess(
    (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : blank(v)),
    z.string({ invalid_type_error: 'must be a whole number of atomic units' }).max(80).nullable().optional(),
  ),
});

/**
 * Body of "issue a merchant API key" (admin API JSON, console form, CLI flags): an optional label and
 * whether to revoke every key the merchant still has (use it when the lost keys may be in someone else's
 * hands). The console's checkbox sends `"on"`; an empty name means none.
 */
export const issueMerchantKeyBody = z.object({
  name: z.preprocess((v) => (v === '' ? undefined : v), z.string({ invalid_type_error: 'must be text' }).trim().min(1).max(100, 'must be at most 100 characters').optional()),
  revokeExisting: z.preprocess((v) => (v === 'on' || v === 'true' ? true : v === 'false' || v === '' ? false : v), z.boolean({ invalid_type_error: 'must be true or false' }).default(false)),
});

/** `:ref` of a payment: its reference (`pay_…`) or id. */
export const paymentRefParam = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a payment reference (pay_…) or id');
/** `:network` of a lane (CAIP-2). */
export const networkParam = z.string().regex(/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/, 'must be a CAIP-2 network id such as eip155:8453');
/** `:asset` of a lane. */
export const assetParam = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
/** `:id` of a batch, merchant or webhook delivery. */
export const idParam = uuidParam;
