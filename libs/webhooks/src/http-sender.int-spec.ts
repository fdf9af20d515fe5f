import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { RESPONSE_BODY_LIMIT, sendWebhook } from './http-sender';
import { WebhookUrlPolicy } from './url-policy';

describe('sendWebhook (real HTTP on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok');

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      req.on('end', () => handler(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => hits.splice(0));

  it('2xx succeeds; the body is kept up to 1024 characters', async () => {
    handler = (_req, res) => res.writeHead(202).end('y'.repeat(5000));
    const r = await sendWebhook(`${base}/a`, { 'content-type': 'application/json' }, '{}', 1000);
    expect(r).toMatchObject({ ok: true, statusCode: 202, error: null, retryAfterMs: null });
    expect(r.responseBody).toHaveLength(RESPONSE_BODY_LIMIT);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('a redirect is a failure and is not followed', async () => {
    handler = (req, res) => (req.url === '/moved' ? res.writeHead(302, { location: `${base}/elsewhere` }).end() : res.end('should not be reached'));
    const r = await sendWebhook(`${base}/moved`, {}, '{}', 1000);
    expect(r).toMatchObject({ ok: false, statusCode: 302, error: expect.stringMatching(/redirect \(302\) not followed/) });
    expect(hits).toEqual(['/moved']);
  });

  it('non-2xx fails with its Retry-After; NUL bytes never reach the record', async () => {
    handler = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow\u0000down');
    const r = await sendWebhook(`${base}/b`, {}, '{}', 1000);
    expect(r).toMatchObject({ ok: false, statusCode: 429, error: 'HTTP 429', retryAfterMs: 7000, responseBody: 'slowdown' });
  });

  it('gives up after the timeout, and reports refused connections', async () => {
    handler = () => undefined; // never answers
    const slow = await sendWebhook(`${base}/c`, {}, '{}', 200);
    expect(slow).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 200 ms' });
    expect(slow.latencyMs).toBeGreaterThanOrEqual(190);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await sendWebhook(`http://127.0.0.1:${port}/`, {}, '{}', 1000);
    expect(refused).toMatchObject({ ok: false, statusCode: null, error: 'ECONNREFUSED' });
    // fetch's own port blocklist (e.g. 9, discard) surfaces as an error too, never a throw.
    expect(await sendWebhook('http://127.0.0.1:9/', {}, '{}', 1000)).toMatchObject({ ok: false, error: 'bad port' });
  });

  it('DNS rebinding: a host that passed the URL check but resolves to loopback when the socket connects is refused', async () => {
    const port = (server.address() as AddressInfo).port;
    // The check's resolver answers a public address; the connection's own lookup finds 127.0.0.1.
    const policy = new WebhookUrlPolicy({ httpAllowlist: ['localhost'], allowPrivateAddresses: false, resolve: async () => ['93.184.216.34'] });
    const url = `http://localhost:${port}/rebound`;
    await expect(policy.check(url)).resolves.toBeInstanceOf(URL);
    const r = await sendWebhook(url, {}, '{}', 1000, policy.dispatcher);
    expect(r).toMatchObject({ ok: false, statusCode: null });
    expect(r.error).toMatch(/^refused: localhost resolves to a non-public \(private, loopback, link-local or special-purpose\) address \((127\.0\.0\.1|::1)\) at connect time$/);
    expect(hits).not.toContain('/rebound');
    // Where private destinations are allowed (development), the same dispatcher connects.
    const open = new WebhookUrlPolicy({ httpAllowlist: ['localhost'], allowPrivateAddresses: true });
    handler = (_req, res) => res.end('ok');
    expect(await sendWebhook(url, {}, '{}', 1000, open.dispatcher)).toMatchObject({ ok: true, statusCode: 200 });
    await Promise.all([policy.dispatcher.close(), open.dispatcher.close()]);
  });
});
