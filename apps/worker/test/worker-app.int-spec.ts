import type { INestApplication } from '@nestjs/common';
import { createServer, connect, Server, Socket } from 'node:net';
import { eventually, SettlementFixture, startSettlement, workerConfigOf } from '@tollgate/testing';
import { createWorkerApp } from '../src/bootstrap';
import { SettlementWorker } from '../src/settlement-worker';
import { listenWorkerHttp, WorkerHttp } from '../src/worker-http';

/** A TCP relay in front of Postgres that the test can cut: every connection through it dies at once. */
async function cuttableRelay(port: number): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        sockets.forEach((s) => s.destroy());
      }),
  };
}

/**
 * The worker process as `main.ts` builds it (WorkerModule: nestjs-pino, the three consumers, the outbox
 * listener, terminus health and prom-client metrics), here with its Postgres reached through a relay the
 * test can cut: it settles, reports ready, and reports down when a loop stops or Postgres goes away.
 */
describe('the worker as a Nest app', () => {
  let f: SettlementFixture;
  let app: INestApplication | undefined;
  let http: WorkerHttp;
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;
  const ready = async () => {
    const res = await fetch(`http://127.0.0.1:${http.port}/health/ready`);
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200' }, 17);
    const config = workerConfigOf(f.api);
    const db = new URL(config.databaseUrl);
    relay = await cuttableRelay(Number(db.port || 5432));
    db.host = `127.0.0.1:${relay.port}`;
    app = await createWorkerApp({ ...config, databaseUrl: db.toString(), worker: { metricsPort: 0, metricsHost: '127.0.0.1', nice: 0 } }, { shutdownHooks: false });
    http = await listenWorkerHttp(app, config);
  });
  afterAll(async () => {
    await app?.close();
    await f?.stop();
  });

  it('settles, and serves liveness, readiness with its loops, and metrics', async () => {
    const { body } = await f.sign({ amount: 4_321n });
    const settled = await f.settle(body);
    expect(settled.body.success).toBe(true);
    await f.waitForStatuses([settled.body.extensions.tollgate.reference], (s) => s[0] === 'confirmed');

    for (const path of ['/health', '/health/live']) expect((await fetch(`http://127.0.0.1:${http.port}${path}`)).status).toBe(200);
    const r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.details).toMatchObject({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      [`rpc:${f.api.chain.deployment.network}`]: { status: 'up' },
      relayers: { status: 'up' },
      loops: { status: 'up', running: ['settlement', 'webhooks', 'operator-actions'] },
    });
    const metrics = await eventually('the confirmation observed', async () => {
      const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
      return /tollgate_payment_queued_to_confirmed_seconds_count(\{[^}]*\})? 1\b/.test(text) && text;
    });
    expect(metrics).toMatch(/tollgate_worker_jobs_total\{job="batch-submit",outcome="completed"\} [1-9]/);
    expect(metrics).toContain('tollgate_worker_process_cpu_seconds_total');
  });

  it('is not ready once a loop has stopped', async () => {
    await app!.get(SettlementWorker).stop();
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.error.loops).toEqual({ status: 'down', message: 'stopped: settlement' });
    expect(r.body.details.postgres.status).toBe('up');
  });

  it('is not ready when Postgres is unreachable', async () => {
    await relay.cut();
    const r = await eventually('postgres down', async () => {
      const res = await ready();
      return res.body.error?.postgres && res;
    });
    expect(r.status).toBe(503);
    expect(r.body.error.postgres.status).toBe('down');
  });
});
