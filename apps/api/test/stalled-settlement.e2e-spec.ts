import { createAdminUser, eventually, login, AdminSession, SettlementFixture, startSettlement } from '@tollgate/testing';

/** One sample's value from a Prometheus text exposition (first series matching `name` and `labels`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? '{' : ' '}`) && l.includes(labels));
  if (line === undefined) return undefined;
  const value = line.slice(line.lastIndexOf(' ') + 1);
  return value === '+Inf' ? Infinity : Number(value);
}

/**
 * Stalled settlement made visible (issue 17): with no worker, the console shows the "no worker seen"
 * banner on every page, the lane turns amber then red as its oldest queued payment ages (aged in Postgres,
 * not by sleeping), `/health/settlement` answers 503 and `/metrics` says the same; with a worker running,
 * everything is green again. Also: relayers below RELAYER_LOW_BALANCE_WEI are flagged, failing webhook
 * endpoints are listed on the webhooks page.
 */
describe('stalled settlement: worker heartbeat, lane colours, /health/settlement, metrics', () => {
  let f: SettlementFixture;
  let session: AdminSession;
  const page = async (path: string) => (await fetch(`${f.api.baseUrl}${path}`, { headers: { cookie: session.cookie } })).text();
  const metrics = async () => (await fetch(`${f.api.baseUrl}/metrics`)).text();
  const settlementHealth = async () => {
    const res = await fetch(`${f.api.baseUrl}/health/settlement`);
    return { status: res.status, body: (await res.json()) as { details: Record<string, { status: string; message?: string }> } };
  };
  const laneHealthOnOverview = async () => (await page('/admin')).match(/<tr data-lane="[^"]+" data-health="(\w+)"/)?.[1];

  beforeAll(async () => {
    // Flush deadline 300 ms: amber after 10 s, red after 30 s (the minimums); banner after 5 s without a heartbeat.
    // The relayer threshold is far above the devchain relayers' balance, so they are flagged.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '300', WORKER_STALE_AFTER_SECONDS: '5', RELAYER_LOW_BALANCE_WEI: '1000000000000000000000000' });
    const operator = await createAdminUser(f, 'operator');
    session = await login(f.api.baseUrl, operator.username, operator.password);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('shows a stalled pipeline everywhere with no worker, and green once a worker runs', async () => {
    const { body } = await f.sign({ payerIndex: 0, amount: 12_345n });
    const settled = await f.settle(body);
    expect(settled.body.success).toBe(true);
    const ref = settled.body.extensions.tollgate.reference as string;

    // No worker ever beat: banner on every console page, health down, no heartbeat age exported.
    for (const path of ['/admin', '/admin/payments', '/admin/webhooks', '/admin/audit']) {
      expect(await page(path)).toContain('id="worker-banner"');
    }
    expect(await page('/admin')).toMatch(/No worker seen yet\./);
    let h = await settlementHealth();
    expect(h.status).toBe(503);
    expect(h.body.details.workers).toMatchObject({ status: 'down', message: expect.stringMatching(/no worker seen in the last 5 s \(no worker heartbeat was ever recorded\)/) });
    let m = await metrics();
    expect(sample(m, 'tollgate_workers_live')).toBe(0);
    expect(sample(m, 'tollgate_worker_last_seen_seconds')).toBe(Infinity);
    // /health/ready is not affected: the API itself is fine and stays in the load balancer.
    expect((await fetch(`${f.api.baseUrl}/health/ready`)).status).toBe(200);

    // A worker that stopped a minute ago: its heartbeat age shows.
    await f.api.db.query(
      `INSERT INTO worker_heartbeats (worker_id, hostname, pid, version, runs, started_at, last_seen_at)
       VALUES ('gone:1:0', 'gone', 1, '0.1.0', '{settlement}', now() - interval '1 hour', now() - interval '60 seconds')`,
    );
    expect(await page('/admin')).toMatch(/No worker seen for 6\d\.\d s\./);
    m = await metrics();
    expect(sample(m, 'tollgate_worker_last_seen_seconds')).toBeGreaterThanOrEqual(59);

    // The queued payment ages: amber past 10 s, red past 30 s.
    expect(await laneHealthOnOverview()).toBe('running');
    await f.api.db.query(`UPDATE payments SET queued_at = now() - interval '15 seconds' WHERE reference = $1`, [ref]);
    expect(await laneHealthOnOverview()).toBe('slow');
    m = await metrics();
    expect(sample(m, 'tollgate_lane_stall_level', 'network=')).toBe(1);
    expect(sample(m, 'tollgate_lane_oldest_queued_age_seconds', 'network=')).toBeGreaterThanOrEqual(15);
    h = await settlementHealth();
    expect(h.body.details.lanes.status).toBe('up');

    await f.api.db.query(`UPDATE payments SET queued_at = now() - interval '45 seconds' WHERE reference = $1`, [ref]);
    expect(await laneHealthOnOverview()).toBe('stalled');
    expect(sample(await metrics(), 'tollgate_lane_stall_level', 'network=')).toBe(2);
    h = await settlementHealth();
    expect(h.status).toBe(503);
    expect(h.body.details.lanes).toMatchObject({ status: 'down', message: expect.stringMatching(/oldest queued payment waited 4\d s \(stalled after 30 s\)/) });

    // A worker starts: it beats at once, settles the payment, and everything turns green.
    await f.startWorker();
    await f.waitForStatuses([ref], (s) => ['included', 'confirmed'].includes(s[0]), 60_000);
    await eventually('/health/settlement up', async () => {
      h = await settlementHealth();
      return h.status === 200;
    }, 15_000);
    expect(h.body.details.workers).toMatchObject({ status: 'up' });
    const overview = await page('/admin');
    expect(overview).not.toContain('id="worker-banner"');
    expect(await laneHealthOnOverview()).toBe('running');
    m = await metrics();
    expect(sample(m, 'tollgate_workers_live')).toBe(1);
    expect(sample(m, 'tollgate_worker_last_seen_seconds')).toBeLessThan(10);
    expect(sample(m, 'tollgate_lane_stall_level', 'network=')).toBe(0);

    // The relayer the worker registered sits below the (deliberately huge) threshold.
    expect(overview).toMatch(/data-balance="(low|critical)"/);
    expect(overview).toContain('Relayer low on gas.');
    expect(overview).toMatch(/data-drift="-?\d+"/);
    expect(sample(m, 'tollgate_relayer_low_balance_threshold_wei', 'network=')).toBe(1e24);
  }, 120_000);

  it('lists failing webhook endpoints with their consecutive failures, last error and last success', async () => {
    const [endpoint] = await f.api.db.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext, failing_since, last_failure_at, last_success_at)
       VALUES ($1, 'https://hooks.example.com/tollgate', '{payment.confirmed}', 'x', now() - interval '20 minutes', now() - interval '1 minute', now() - interval '2 hours')
       RETURNING id`,
      [f.merchantId],
    );
    const [delivery] = await f.api.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot, attempt_count)
       VALUES ($1, $2, 'payment.confirmed', 'msg_test', now() - interval '21 minutes', '{}', 3) RETURNING id`,
      [endpoint.id, f.merchantId],
    );
    await f.api.db.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, error) VALUES
         ($1, 1, now() - interval '3 hours', 200, 10, NULL),
         ($1, 2, now() - interval '20 minutes', 500, 10, NULL),
         ($1, 3, now() - interval '10 minutes', NULL, 5000, 'timed out after 5000 ms'),
         ($1, 4, now() - interval '1 minute', 503, 10, NULL)`,
      [delivery.id],
    );
    const html = await page('/admin/webhooks');
    const row = html.match(new RegExp(`<tr class="r-amber" data-endpoint="${endpoint.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(row).toContain('https://hooks.example.com/tollgate');
    expect(row).toMatch(/data-metric="consecutive-failures">3</);
    expect(row).toContain('HTTP 503');
    expect(row).toMatch(/2 h ago/);
  });
});
