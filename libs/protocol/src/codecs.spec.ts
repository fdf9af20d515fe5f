import fc from 'fast-check';
import {
  decodeHeader,
  encodeHeader,
  HeaderDecodeError,
  type HeaderDecodeReason,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  X402_HEADERS,
  X_PAYMENT_HEADER,
  X_PAYMENT_RESPONSE_HEADER,
} from './codecs';
import { ProtocolError } from './errors';
import { parseFacilitatorRequest } from './request-parser';
import { buildFixture, seededRng, v1Body, v2Body } from './testing/request-builders';

function reasonOf(value: string): HeaderDecodeReason | 'none' {
  try {
    decodeHeader(value);
    return 'none';
  } catch (err) {
    if (!(err instanceof HeaderDecodeError)) throw err;
    return err.reason;
  }
}

describe('header names', () => {
  it('match the transport spec', () => {
    expect([X_PAYMENT_HEADER, X_PAYMENT_RESPONSE_HEADER]).toEqual(['X-PAYMENT', 'X-PAYMENT-RESPONSE']);
    expect([PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER, PAYMENT_RESPONSE_HEADER]).toEqual([
      'PAYMENT-REQUIRED',
      'PAYMENT-SIGNATURE',
      'PAYMENT-RESPONSE',
    ]);
    expect(X402_HEADERS.v2.payment).toBe('PAYMENT-SIGNATURE');
    expect(X402_HEADERS.v1.paymentResponse).toBe('X-PAYMENT-RESPONSE');
  });
});

describe('encodeHeader / decodeHeader', () => {
  it('round-trips payment payloads built from seeds', () => {
    for (const seed of [1, 2, 3]) {
      const f = buildFixture(seededRng(seed));
      for (const body of [v1Body(f), v2Body(f, { paymentIdentifier: 'pay_abcdefghijklmnop' })]) {
        const header = encodeHeader(body.paymentPayload);
        expect(header).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(header.length % 4).toBe(0);
        const decoded = decodeHeader(header);
        expect(decoded).toEqual(body.paymentPayload);
        const r = parseFacilitatorRequest({ ...body, paymentPayload: decoded });
        expect(r.kind).toBe('ok');
      }
    }
  });

  it('round-trips any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(decodeHeader(encodeHeader(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes UTF-8 and uses the standard alphabet with padding', () => {
    // JSON `"é"` is the bytes 22 c3 a9 22.
    expect(encodeHeader('é')).toBe('IsOpIg==');
    expect(decodeHeader('IsOpIg==')).toBe('é');
  });

  it('writes bigints as decimal strings', () => {
    expect(decodeHeader(encodeHeader({ value: 2n ** 255n }))).toEqual({ value: (2n ** 255n).toString() });
  });

  it('throws TypeError for values JSON cannot represent', () => {
    expect(() => encodeHeader(undefined)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeHeader(cyclic)).toThrow(TypeError);
  });

  const valid = encodeHeader({ x402Version: 2, payload: { note: '\u00ff\u00fe?>' } });

  it.each<[string, string, HeaderDecodeReason]>([
    ['empty', '', 'empty'],
    ['base64url minus', valid.replace(/\+/g, '-'), 'base64url'],
    ['base64url underscore', valid.replace(/\//g, '_'), 'base64url'],
    ['leading space', ` ${valid}`, 'whitespace'],
    ['trailing newline', `${valid}\n`, 'whitespace'],
    ['line-wrapped', `${valid.slice(0, 8)}\r\n${valid.slice(8)}`, 'whitespace'],
    ['non-alphabet character', `${valid.slice(0, 4)}*${valid.slice(5)}`, 'invalid_character'],
    ['padding stripped', 'eyJhIjoxfQ', 'bad_padding'],
    ['too much padding', 'eyJhIjoxfQ===', 'bad_padding'],
    ['padding in the middle', 'ey=hIjoxfQ==', 'bad_padding'],
    ['single = pad where two are needed', 'eyJhIjoxfQ=', 'bad_padding'],
    ['non-zero padding bits', 'eyJhIjoxfR==', 'bad_padding'],
    ['not UTF-8', '/w==', 'invalid_utf8'],
    ['not JSON', Buffer.from('hello').toString('base64'), 'invalid_json'],
    ['truncated JSON', Buffer.from('{"a":').toString('base64'), 'invalid_json'],
  ])('rejects %s', (_label, value, reason) => {
    expect(reasonOf(value)).toBe(reason);
  });

  it('checks the sample values really differ from the valid form only as labelled', () => {
    // Both characters must occur, or the base64url cases above would test nothing.
    expect(valid).toContain('+');
    expect(valid).toContain('/');
    expect(reasonOf(valid)).toBe('none');
    expect(decodeHeader('eyJhIjoxfQ==')).toEqual({ a: 1 });
  });

  it('throws a ProtocolError with code header_decode', () => {
    let caught: unknown;
    try {
      decodeHeader('@@@@');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HeaderDecodeError);
    expect(caught).toBeInstanceOf(ProtocolError);
    expect(caught).toMatchObject({ code: 'header_decode', reason: 'invalid_character', name: 'HeaderDecodeError' });
  });

  it('never throws anything but HeaderDecodeError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        try {
          decodeHeader(s);
        } catch (err) {
          expect(err).toBeInstanceOf(HeaderDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
