import express from 'express';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { requestContext } from './request-context';

/**
 * The lean request context keeps what pino-http gave every request when it logged nothing itself: `req.id`
 * (the caller's X-Request-Id or a fresh UUID) and `reqId` on every line the request writes through Nest's logger.
 */
describe('requestContext', () => {
  const lines: Array<Record<string, unknown>> = [];
  let server: Server;
  let baseUrl: string;
  let previousRoot: unknown;

  beforeAll(async () => {
    const root = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    previousRoot = PinoLogger.root;
    // What nestjs-pino sets to pino-http's logger when its module is configured.
    (PinoLogger as unknown as { root: pino.Logger }).root = root;
    const logger = new PinoLogger({ pinoHttp: { level: 'warn' } });
    logger.setContext('Test');
    const app = express();
    app.use(requestContext);
    app.get('/quiet', (req, res) => void res.json({ id: (req as { id?: unknown }).id }));
    app.get('/loud', (req, res) => {
      // After an await, as in a service: the context follows the request's promises.
      void Promise.resolve().then(() => {
        logger.warn('something to say');
        res.json({ id: (req as { id?: unknown }).id });
      });
    });
    await new Promise<void>((r) => (server = app.listen(0, '127.0.0.1', () => r())));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    (PinoLogger as unknown as { root: unknown }).root = previousRoot;
    await new Promise((r) => server.close(r));
  });

  it("uses the caller's X-Request-Id, else a fresh UUID per request", async () => {
    const given = (await (await fetch(`${baseUrl}/quiet`, { headers: { 'x-request-id': 'req-from-caller' } })).json()) as { id: string };
    expect(given.id).toBe('req-from-caller');
    const a = (await (await fetch(`${baseUrl}/quiet`)).json()) as { id: string };
    const b = (await (await fetch(`${baseUrl}/quiet`)).json()) as { id: string };
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.id).not.toBe(a.id);
    expect(lines).toEqual([]);
  });

  it('a line written during the request carries its reqId (and only then is a child logger made)', async () => {
    const res = (await (await fetch(`${baseUrl}/loud`, { headers: { 'x-request-id': 'req-42' } })).json()) as { id: string };
    expect(res.id).toBe('req-42');
    const other = (await (await fetch(`${baseUrl}/loud`)).json()) as { id: string };
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, reqId: 'req-42', context: 'Test', msg: 'something to say' });
    expect(lines[1]).toMatchObject({ reqId: other.id, msg: 'something to say' });
  });
});
