/**
 * The pieces every part of request parsing shares: the outcome types, zod issue → `malformed` with a
 * dotted field path and a specific message.
 */
import { z } from 'zod/v4';
import { ReasonCode } from './reason-codes';
import type { NormalizedPayment } from './types';

/**
 * Outcome of parsing a facilitator request:
 * - `malformed`: the body cannot be read as an x402 request (HTTP 400). `field` is the dotted JSON
 *   path of the first failing field in validation order (`$` for the body itself), `message` says
 *   what was expected, `reason` is `invalid_payment_requirements` for `paymentRequirements.*`,
 *   `invalid_x402_version` for `x402Version`, else `invalid_payload`.
 * - `unsupported`: a readable request Tollgate does not serve (answer HTTP 200 with
 *   `isValid/success: false`). `network` is the requirements network as sent (echo it in a settle
 *   answer), `payer` the payer when one could be read.
 * - `ok`: the normalized payment; everything else (signature, amounts, times, chain state) is
 *   checked by the mechanism, not here.
 */
export type ParseResult =
  | { kind: 'malformed'; field: string; message: string; reason: ReasonCode }
  | { kind: 'unsupported'; reason: ReasonCode; message: string; network?: string; payer?: string }
  | { kind: 'ok'; payment: NormalizedPayment };

export type Malformed = Extract<ParseResult, { kind: 'malformed' }>;
export type Unsupported = Extract<ParseResult, { kind: 'unsupported' }>;
export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

export function malformed(field: string, message: string): Malformed {
  const reason: ReasonCode =
    field === 'x402Version'
      ? ReasonCode.InvalidX402Version
      : field.startsWith('paymentRequirements')
        ? ReasonCode.InvalidPaymentRequirements
        : ReasonCode.InvalidPayload;
  return { kind: 'malformed', field, message, reason };
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  boolean: 'a boolean',
};

// Keeps messages specific ("missing; expected a string") instead of zod's generic "Invalid input".
const errorMap = (issue: z.core.$ZodRawIssue): string | undefined => {
  if (issue.code === 'invalid_type') {
    const expected = ARTICLE[issue.expected] ?? issue.expected;
    if (issue.input === undefined) return `missing; expected ${expected}`;
    return `expected ${expected}, received ${describe(issue.input)}`;
  }
  if (issue.code === 'invalid_value' && issue.values.length === 1) {
    return `expected ${JSON.stringify(issue.values[0])}`;
  }
  return undefined;
};

function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : `${acc}.${String(seg)}`), prefix);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: Malformed };

/** Runs a schema and turns its first issue into a `malformed` result rooted at `prefix`. */
export function check<T>(schema: z.ZodType<T>, value: unknown, prefix: string): Checked<T> {
  const r = schema.safeParse(value, { error: errorMap });
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: malformed(joinPath(prefix, issue.path), issue.message) };
}

