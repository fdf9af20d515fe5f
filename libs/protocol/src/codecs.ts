/**
 * Header codecs for the HTTP transport: x402 headers carry JSON, UTF-8 encoded, then standard
 * base64 (RFC 4648 §4, `+` `/` alphabet, `=` padding). Reference decoders reject base64url, so
 * Tollgate does too: a header it accepts is one every other x402 party accepts.
 */
import { ProtocolError } from './errors';

/** v1 request header carrying the base64 `PaymentPayload` (spec v1, HTTP transport). */
export const X_PAYMENT_HEADER = 'X-PAYMENT';
/** v1 response header carrying the base64 `SettleResponse`. */
export const X_PAYMENT_RESPONSE_HEADER = 'X-PAYMENT-RESPONSE';
/** v2 response header carrying the base64 `PaymentRequired` challenge (with HTTP 402). */
export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';
/** v2 request header carrying the base64 `PaymentPayload`. */
export const PAYMENT_SIGNATURE_HEADER = 'PAYMENT-SIGNATURE';
/** v2 response header carrying the base64 `SettleResponse`. */
export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';

/** Tollgate's own request header on `/settle`: `deferred` or `confirmed` overrides the merchant's settlement policy for that call. */
export const SETTLEMENT_MODE_HEADER = 'x-tollgate-settlement-mode';

/** Header names by protocol version. v1 sends the 402 challenge as a JSON body, not a header. */
export const X402_HEADERS = Object.freeze({
  v1: Object.freeze({ payment: X_PAYMENT_HEADER, paymentResponse: X_PAYMENT_RESPONSE_HEADER }),
  v2: Object.freeze({
    paymentRequired: PAYMENT_REQUIRED_HEADER,
    payment: PAYMENT_SIGNATURE_HEADER,
    paymentResponse: PAYMENT_RESPONSE_HEADER,
  }),
});

/**
 * Why a header value was refused:
 * `empty`; `whitespace` (spaces/newlines anywhere); `base64url` (`-` or `_`, the URL-safe alphabet);
 * `invalid_character` (anything else outside the standard alphabet); `bad_padding` (length not a
 * multiple of 4, `=` misplaced, or non-zero bits in the last padded quantum); `invalid_utf8`;
 * `invalid_json`.
 */
export type HeaderDecodeReason =
  | 'empty'
  | 'whitespace'
  | 'base64url'
  | 'invalid_character'
  | 'bad_padding'
  | 'invalid_utf8'
  | 'invalid_json';

/** Thrown by {@link decodeHeader}; `reason` says which rule the value broke. */
export class HeaderDecodeError extends ProtocolError {
  constructor(
    readonly reason: HeaderDecodeReason,
    message: string,
  ) {
    super('header_decode', message);
    this.name = 'HeaderDecodeError';
  }
}

const STD_ALPHABET_RE = /^[A-Za-z0-9+/=]*$/;
// Full quanta, then an optional final quantum with one or two `=`.
const STD_BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INDEX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes a value for an x402 header: `JSON.stringify` → UTF-8 → standard base64 with padding.
 * `bigint`s are written as decimal strings, the wire convention for big integers.
 * @throws TypeError when the value is not JSON-serialisable (`undefined`, a function, a cycle).
 */
export function encodeHeader(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (json === undefined) throw new TypeError('value is not JSON-serialisable');
  return Buffer.from(json, 'utf8').toString('base64');
}

/**
 * Decodes an x402 header value: strict standard base64 with correct padding → UTF-8 → JSON.
 * The result is an unvalidated JSON value; run it through the schemas.
 * @throws HeaderDecodeError with the first rule broken (see {@link HeaderDecodeReason}).
 */
export function decodeHeader(value: string): unknown {
  if (typeof value !== 'string' || value.length === 0) {
    throw new HeaderDecodeError('empty', 'header value is empty');
  }
  if (/\s/.test(value)) {
    throw new HeaderDecodeError('whitespace', 'header value contains whitespace; expected unbroken base64');
  }
  if (/[-_]/.test(value)) {
    throw new HeaderDecodeError('base64url', 'header value uses the base64url alphabet (- or _); expected standard base64');
  }
  if (!STD_ALPHABET_RE.test(value)) {
    throw new HeaderDecodeError('invalid_character', 'header value contains characters outside standard base64');
  }
  if (!STD_BASE64_RE.test(value)) {
    throw new HeaderDecodeError('bad_padding', 'header value is not padded standard base64 (length must be a multiple of 4)');
  }
  // Node's decoder silently drops non-zero bits after the last full byte; a canonical encoder never
  // sets them, so such a value was built by hand or mangled in transit.
  const pad = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = INDEX.indexOf(value[value.length - pad - 1]);
    const mask = pad === 2 ? 0b1111 : 0b11;
    if ((last & mask) !== 0) {
      throw new HeaderDecodeError('bad_padding', 'header value has non-zero padding bits');
    }
  }
  let text: string;
  try {
    text = utf8.decode(Buffer.from(value, 'base64'));
  } catch {
    throw new HeaderDecodeError('invalid_utf8', 'header value does not decode to UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HeaderDecodeError('invalid_json', 'header value does not decode to JSON');
  }
}
