import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { request } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { plainJsonBody } from './json-body';

type Answer = { status: number; body: unknown; type?: string };

/** An app answering with what it parsed, or with the parser's error status and type. */
async function serve(withShortPath: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  if (withShortPath) app.use(plainJsonBody(64 * 1024));
  app.use(express.json({ limit: 64 * 1024 }));
  app.post('/echo', (req, res) => void res.json({ body: req.body === undefined ? '<undefined>' : req.body }));
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => void res.status(err.status ?? 500).json({ type: err.type }));
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`, close: () => new Promise((r) => server.close(() => r())) };
}

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const json = JSON.parse(text) as { body?: unknown; type?: string };
        resolve({ status: res.statusCode ?? 0, body: json.body, type: json.type });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The short path parses exactly what body-parser parses, and refuses what it refuses, with the same status and type. */
describe('plainJsonBody', () => {
  let short: Awaited<ReturnType<typeof serve>>;
  let plain: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    [short, plain] = await Promise.all([serve(true), serve(false)]);
  });
  afterAll(() => Promise.all([short.close(), plain.close()]));

  const json = (text: string, extra: Record<string, string> = {}) => ({ body: Buffer.from(text), headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...extra } });
  const cases: Array<[string, { body: Buffer; headers: Record<string, string> }]> = [
    ['an x402 body', json(JSON.stringify({ x402Version: 2, paymentPayload: { payload: { signature: '0xab', authorization: { value: '10000' } } }, n: [1, 'é', null] }))],
    ['an array', json('[1,2,3]')],
    ['leading whitespace', json(' \n\t{"a":1}')],
    ['a BOM', json('\ufeff{"a":1}')],
    ['not JSON', json('{"a":')],
    ['a JSON string (strict)', json('"text"')],
    ['a number (strict)', json('42')],
    ['only whitespace', json('   ')],
    ['an empty body', json('')],
    ['a body over the limit', json(JSON.stringify({ big: 'x'.repeat(70_000) }))],
    ['a charset', json('{"a":1}', { 'content-type': 'application/json; charset=utf-8' })],
    ['an unsupported charset', json('{"a":1}', { 'content-type': 'application/json; charset=latin1' })],
    ['gzip', { body: gzipSync('{"a":1}'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }],
    ['chunked', { body: Buffer.from('{"a":1}'), headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }],
    ['another type', json('{"a":1}', { 'content-type': 'text/plain' })],
  ];

  it.each(cases)('%s: same answer as body-parser alone', async (_name, c) => {
    const [a, b] = await Promise.all([post(short.url, c.body, c.headers), post(plain.url, c.body, c.headers)]);
    expect(a).toEqual(b);
  });

  it('parses the common case on its own', async () => {
    const c = json('{"x402Version":2}');
    expect(await post(short.url, c.body, c.headers)).toEqual({ status: 200, body: { x402Version: 2 }, type: undefined });
  });
});
