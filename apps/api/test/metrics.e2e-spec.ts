import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { SettlementWorker, startWorkerHttp, WorkerHttp, WorkerMetrics } from '../../worker/src';
import { failedButRecoverablePayment, workerConfigOf } from '@tollgate/testing';

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** Scrapes and parses a Prometheus endpoint with an independent text-format parser. */
async function scrape(url: string): Promise<Families> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheusTextFormat(await res.text());
}

function family(fams: Families, name: string) {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`metric ${name} is missing`);
  return f;
}

/** Value of one series (labels must match the given subset); undefined when absent. */
function value(fams: Families, name: string, labels: Record<string, string> = {}): number | undefined {
  const s = family(fams, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s?.value === undefined ? undefined : Number(s.value);
}

/** Observations of a histogram; a labelled one (the parser keeps only its buckets) counts its `+Inf` bucket. */
function histogramCount(fams: Families, name: string): number {
  return family(fams, name).metrics.reduce((n, m) => n + Number(m.count ?? (m as { buckets?: Record<string, string> }).buckets?.['+Inf'] ?? 0), 0);
}

/** `/metrics` of the API and of the worker, read the way Prometheus would. */
describe('Prometheus metrics', () => {
  let f: SettlementFixture;
  let http: WorkerHttp | undefined;
  let lane: { network: string; asset: string };

  beforeAll(async () => {
    // Port 0: parallel test workers never collide on the worker's metrics port.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', WORKER_METRICS_PORT: '0' });
    const d = f.api.chain.deployment;
    lane = { network: d.network, asset: d.token.address.toLowerCase() };
  });
  afterAll(async () => {
    await http?.close();
    await f?.stop();
  });

  it('lane gauges follow payments as they queue and settle; worker histograms see the batch', async () => {
    let m = await scrape(`${f.api.baseUrl}/metrics`);
    expect(family(m, 'tollgate_lane_queued_payments').type).toBe('GAUGE');
    expect(value(m, 'tollgate_lane_queued_payments', lane)).toBe(0);
    expect(value(m, 'tollgate_lane_exposure_atomic', lane)).toBe(0);
    expect(value(m, 'tollgate_lane_paused', lane)).toBe(0);

    // No worker yet: three payments wait in the lane.
    const amounts = [11_000n, 12_000n, 13_000n];
    const refs: string[] = [];
    for (const [i, amount] of amounts.entries()) {
      const { body } = await f.sign({ payerIndex: i, amount });
      expect((await f.verify(body)).body.isValid).toBe(true);
      const res = await f.settle(body);
      refs.push(res.body.extensions.tollgate.reference);
    }
    await f.verify({ x402Version: 2 });
    m = await scrape(`${f.api.baseUrl}/metrics`);
    expect(value(m, 'tollgate_lane_queued_payments', lane)).toBe(3);
    expect(value(m, 'tollgate_lane_exposure_atomic', lane)).toBe(36_000);
    expect(value(m, 'tollgate_lane_oldest_queued_age_seconds', lane)).toBeGreaterThan(0);
    expect(value(m, 'tollgate_lane_earliest_deadline_seconds', lane)).toBeGreaterThan(200);
    expect(value(m, 'tollgate_verify_total', { outcome: 'valid', reason: 'none' })).toBe(3);
    expect(value(m, 'tollgate_verify_total', { outcome: 'malformed', reason: 'invalid_payload' })).toBe(1);
    expect(value(m, 'tollgate_settle_total', { outcome: 'queued', mode: 'deferred' })).toBe(3);
    // Each was verified moments before: queued on that verify, without re-reading the chain.
    expect(value(m, 'tollgate_settle_on_recent_verify_total')).toBe(3);
    // (labelled histograms are not asserted: parse-prometheus-text-format 1.1.1 merges their series)
    expect(family(m, 'tollgate_settle_duration_seconds').type).toBe('HISTOGRAM');
    // The API holds no relayer keys: it learns the relayers when a worker registers them.
    expect(value(m, 'tollgate_relayer_balance_wei')).toBeUndefined();

    // The worker, with its metrics observer and its own health/metrics listener.
    const metrics = new WorkerMetrics();
    const worker: SettlementWorker = await SettlementWorker.start(workerConfigOf(f.api), { concurrency: 4, observer: metrics.observer() });
    f.worker = worker;
    metrics.attach(worker.ctx.dataSource, worker.ctx.queues);
    http = await startWorkerHttp({ config: f.api.config, metrics, dataSource: worker.ctx.dataSource, queues: worker.ctx.queues, chains: worker.ctx.chains });
    expect(http.port).toBeGreaterThan(0);
    await f.waitForStatuses(refs, (s) => s.every((x) => x === 'confirmed'));

    await eventually('the lane gauges to drain', async () => {
      m = await scrape(`${f.api.baseUrl}/metrics`);
      return value(m, 'tollgate_lane_queued_payments', lane) === 0 && value(m, 'tollgate_lane_exposure_atomic', lane) === 0;
    });
    expect(value(m, 'tollgate_lane_oldest_queued_age_seconds', lane)).toBe(0);
    expect(value(m, 'tollgate_relayer_balance_wei')).toBeGreaterThan(0);

    const w = await eventually('the worker to observe the confirmation', async () => {
      const fams = await scrape(`http://127.0.0.1:${http!.port}/metrics`);
      return histogramCount(fams, 'tollgate_payment_queued_to_confirmed_seconds') === 3 ? fams : null;
    });
    expect(histogramCount(w, 'tollgate_batch_size')).toBe(1);
    expect(Number(family(w, 'tollgate_batch_size').metrics[0].sum)).toBe(3);
    expect(histogramCount(w, 'tollgate_payment_queued_to_included_seconds')).toBe(3);
    expect(histogramCount(w, 'tollgate_batch_gas_per_payment')).toBe(1);
    const gasPerPayment = Number(family(w, 'tollgate_batch_gas_per_payment').metrics[0].sum);
    expect(gasPerPayment).toBeGreaterThan(15_000);
    expect(gasPerPayment).toBeLessThan(100_000);
    expect(value(w, 'tollgate_worker_jobs_total', { job: 'batch-submit', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(family(w, 'tollgate_queue_jobs').metrics.some((s) => s.labels?.queue === 'settlement')).toBe(true);

    const live = await fetch(`http://127.0.0.1:${http.port}/health`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${http.port}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { details: unknown }).details).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' }, [`rpc:${lane.network}`]: { status: 'up' } });
  });

  it('failures by reason: the current count and the all-time counter', async () => {
    await f.stopWorker();
    await failedButRecoverablePayment(f, { payerIndex: 4 });
    const m = await scrape(`${f.api.baseUrl}/metrics`);
    expect(value(m, 'tollgate_payments_failed', { reason: 'invalid_exact_evm_insufficient_balance' })).toBe(1);
    expect(family(m, 'tollgate_payment_failures_total').type).toBe('COUNTER');
    expect(value(m, 'tollgate_payment_failures_total', { status: 'failed', reason: 'invalid_exact_evm_insufficient_balance' })).toBe(1);
  });
});
