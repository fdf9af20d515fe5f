import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { canonicalPayTo, PAY_TO_FORMATS } from '../merchants/pay-to-address';

/**
 * Parses request input with zod. On failure answers 400 with `message` `"<field>: <problem>"` and `field`
 * naming the first offending input (a dotted path such as `eventTypes.0`; `where` for the value as a whole).
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  const field = path.length ? path.join('.') : where;
  const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
  throw new BadRequestException({ message: `${field}: ${message}`, field });
}

/** An id in a path. */
export const uuidParam = z.string().uuid('must be a UUID');
/** A Tollgate payment reference as `/settle` returns it (`pay_` + base64url). */
export const referenceParam = z.string().regex(/^pay_[A-Za-z0-9_-]{8,64}$/, 'must be a Tollgate payment reference (pay_…)');
/** Money on the wire: a decimal string of atomic units (never a JSON number). */
export const atomicAmount = z
  .string({ invalid_type_error: 'must be a decimal string of atomic units' })
  .regex(/^\d{1,78}$/, 'must be a decimal string of atomic units')
  .transform((v) => BigInt(v));
/** A payTo address of any chain family Tollgate knows, transformed to its stored form (see `canonicalPayTo`). */
export const payToAddress = z.string().transform((v, ctx) => {
  const c = canonicalPayTo(v.trim());
  if (c === null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be ${PAY_TO_FORMATS}` });
  return c ?? z.NEVER;
});
export const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');
export const caip2Network = z.string().regex(/^eip155:\d{1,20}$/, 'must be a CAIP-2 EVM network id such as eip155:8453');
/**
 * An ISO-8601 date-time with a zone (`Z` or `±hh:mm`, at most ±14:00), naming a real calendar instant
 * between years 1000 and 9999: `2025-02-30`, hour 24 or offset `+99:99` are refused here rather than
 * reaching SQL as an Invalid Date.
 */
export const isoTime = z
  .string()
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z' })
  .refine(isRealInstant, 'must be a real date and time (month 01-12, a day the month has, hour 00-23, offset at most ±14:00)')
  .transform((v) => new Date(v));

const ISO_PARTS = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(?:Z|([+-])(\d\d):?(\d\d))$/i;

/** True when an ISO-8601 date-time names an existing instant (calendar fields in range, sane offset). */
export function isRealInstant(v: string): boolean {
  const m = ISO_PARTS.exec(v);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => Number(x ?? 0));
  if (year < 1000 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  if (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  if (m[7] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59 || Number(m[8]) * 60 + Number(m[9]) > 14 * 60)) return false;
  return !Number.isNaN(new Date(v).getTime());
}

/** Page size: 1-200, default 50. */
export const pageLimit = z.coerce.number({ invalid_type_error: 'must be a whole number' }).int('must be a whole number').min(1).max(200).default(50).describe('page size');

/** A query value given once (`?a=x,y`) or repeated (`?a=x&a=y`), as a list. */
export function listParam<T extends z.ZodTypeAny>(item: T) {
  return z.preprocess((v) => {
    if (v === undefined) return undefined;
    const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
    return parts.map((s) => s.trim()).filter(Boolean);
  }, z.array(item).min(1, 'must not be empty').optional());
}

/**
 * Opaque keyset cursor over `(timestamp, id)`, newest first. The timestamp is kept as Postgres text with
 * microseconds (`cursorTimestampSql` in @tollgate/persistence): a JS Date would round to milliseconds and skip
 * or repeat rows created within one.
 */
export const Cursor = {
  encode(ts: string, id: string): string {
    return Buffer.from(JSON.stringify([ts, id]), 'utf8').toString('base64url');
  },
  /** @throws BadRequestException naming `cursor` when it was not made by {@link Cursor.encode}. */
  decode(raw: string | undefined): { ts: string; id: string } | null {
    if (raw === undefined) return null;
    try {
      const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      if (
        Array.isArray(v) &&
        v.length === 2 &&
        typeof v[0] === 'string' &&
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(v[0]) &&
        isRealInstant(v[0]) &&
        typeof v[1] === 'string' &&
        uuidParam.safeParse(v[1]).success
      ) {
        return { ts: v[0], id: v[1] };
      }
    } catch {
      // fall through
    }
    throw new BadRequestException({ message: 'cursor: is not a cursor returned by this API', field: 'cursor' });
  },
};

