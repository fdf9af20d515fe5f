import { Logger, LoggerService } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createPublicClient } from 'viem';
import { keepAliveTransport, logSafeError } from '@tollgate/evm';
import { bodyV2, postJson, randomNonce, seededRandom, signAuthorization, startTestApi, startTestChain, TestApi, TestChain } from '@tollgate/testing';
import { workerPinoOptions } from '../../worker/src';
import { MerchantsService } from '../src/merchants/merchants.service';

const KEY_IN_PATH = 'FAKEPATHKEY0123456789abcdef';
const KEY_IN_QUERY = 'FAKEQUERYKEY9876543210fedcba';

type Mode = 'pass' | 'http-error' | 'rpc-error' | 'reset' | 'hang';

/**
 * A loopback JSON-RPC proxy in front of anvil, reached through a URL carrying a fake provider key in its
 * path and query. Failure modes echo the request back, as some providers' error pages do: the worst case
 * for a log line that quotes the response.
 */
async function startProxy(upstream: string): Promise<{ url: string; mode: Mode; close(): Promise<void> }> {
  const state = { mode: 'pass' as Mode };
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (state.mode === 'pass') {
        fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
          .catch(() => res.destroy());
      } else if (state.mode === 'http-error') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`upstream unavailable for ${req.url}: ${body}`);
      } else if (state.mode === 'rpc-error') {
        const reqs = JSON.parse(body) as Array<{ id: number }> | { id: number };
        const answer = (r: { id: number }) => ({ jsonrpc: '2.0', id: r.id, error: { code: -32603, message: `internal error` } });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(reqs) ? reqs.map(answer) : answer(reqs)));
      } else if (state.mode === 'reset') {
        req.socket.destroy();
      } else {
        hung.push(res);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v3/${KEY_IN_PATH}?apikey=${KEY_IN_QUERY}`,
    get mode() {
      return state.mode;
    },
    set mode(m: Mode) {
      state.mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Every Nest log line of the process, captured. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private add = (...args: unknown[]) => void this.lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, Object.getOwnPropertyNames(a ?? {})))).join(' '));
  log = this.add;
  error = this.add;
  warn = this.add;
  debug = this.add;
  verbose = this.add;
  fatal = this.add;
}

describe('RPC failures never put the request, a signature or the RPC key in a log line', () => {
  let chain: TestChain;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let api: TestApi;
  let apiKey: string;
  const capture = new CapturingLogger();

  beforeAll(async () => {
    chain = await startTestChain();
    proxy = await startProxy(chain.deployment.rpcUrl);
    // The API reads its RPC URL from the deployment file: point it at the proxy.
    const deploymentFile = chain.deploymentFile.replace(/\.json$/, '-proxied.json');
    writeFileSync(deploymentFile, JSON.stringify({ ...chain.deployment, rpcUrl: proxy.url }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    api = await startTestApi({ chain: { ...chain, deploymentFile } });
    apiKey = (await api.app.get(MerchantsService).create({ name: 'Logs', payTo: [chain.deployment.payTo[0].address] })).apiKey;
    Logger.overrideLogger(capture);
  });
  afterAll(async () => {
    await api?.stop();
    await proxy?.close();
    await chain?.devchain.anvil.stop();
  });

  const forbidden = (body: any): string[] => {
    const sig: string = body.paymentPayload.payload.signature;
    return [KEY_IN_PATH, KEY_IN_QUERY, '/v3/', 'apikey', sig.slice(2, 66), sig.slice(66), body.paymentPayload.payload.authorization.nonce.slice(2), 'Request body', 'Raw Call Arguments'];
  };

  it.each<Mode>(['http-error', 'rpc-error', 'reset'])('/verify while the RPC answers %s: unexpected_verify_error, and the log names method, host and error class only', async (mode) => {
    const d = chain.deployment;
    const rand = seededRandom(mode.length);
    const payload = await signAuthorization(d, { payerKey: d.payers[0].privateKey, to: d.payTo[0].address, value: 10_000n, nonce: randomNonce(rand) });
    const body = bodyV2(d, payload, { payTo: d.payTo[0].address, amount: 10_000n });
    proxy.mode = mode;
    capture.lines.length = 0;
    try {
      const res = await postJson(`${api.baseUrl}/verify`, body, { authorization: `Bearer ${apiKey}` });
      expect(res.body).toMatchObject({ isValid: false, invalidReason: 'unexpected_verify_error' });
    } finally {
      proxy.mode = 'pass';
    }
    const logged = capture.lines.join('\n');
    expect(logged).toMatch(/verify failed: RPC [a-z_,]+ at http:\/\/127\.0\.0\.1:\d+ failed: [A-Za-z]+Error/);
    for (const secret of forbidden(body)) expect(logged).not.toContain(secret);
  });

  it('a hung RPC node: the timeout error itself carries neither the request nor the URL path or query', async () => {
    proxy.mode = 'hang';
    const calldata = `0x${'ab'.repeat(200)}` as const;
    const client = createPublicClient({ transport: keepAliveTransport(proxy.url, { timeoutMs: 300 }) });
    const err = await client.call({ to: chain.deployment.token.address, data: calldata }).then(
      () => undefined,
      (e: unknown) => e,
    );
    proxy.mode = 'pass';
    expect(err).toBeDefined();
    const safe = logSafeError(err);
    expect(safe).toMatch(/^RPC eth_call at http:\/\/127\.0\.0\.1:\d+ failed: TimeoutError$/);
    // Reduced at the source: the transport's own error has no body and no path/query to leak.
    let cause: any = err;
    while (cause?.cause) cause = cause.cause;
    for (const text of [cause.message as string, safe]) {
      for (const secret of [KEY_IN_PATH, KEY_IN_QUERY, 'ab'.repeat(40)]) expect(text).not.toContain(secret);
    }

    // The worker's pino (redaction + err serializer) keeps a whole error object logged as-is safe too.
    const lines: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const log = pino(workerPinoOptions({ logLevel: 'info' }), sink);
    log.error({ err, signature: '0xfeed' }, 'submit failed');
    const out = lines.join('');
    for (const secret of [KEY_IN_PATH, KEY_IN_QUERY, 'ab'.repeat(40), '0xfeed']) expect(out).not.toContain(secret);
    expect(out).toContain('TimeoutError');
  });
});
