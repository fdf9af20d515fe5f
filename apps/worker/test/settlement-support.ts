/**
 * Helpers for the settlement scenario tests: polling, bulk settle, direct ledger inserts, anvil
 * controls, chain-side actors (payer cancelling or draining, a third party front-running), a worker
 * running as its own OS process, a JSON-RPC gate that can freeze a worker at a chosen call, and a
 * private redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Address, createWalletClient, decodeEventLog, Hex, http, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, eip3009TokenAbi, type DevchainDeployment } from '@tollgate/devchain';
import { eventually, SettlementFixture, testApps, tokenBalance } from '@tollgate/testing';

export const REPO_ROOT = resolve(__dirname, '../../..');

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export interface SettledPayment {
  ref: string;
  amount: bigint;
  payer: Address;
  nonce: Hex;
  body: any;
}

/** Signs and settles one payment per spec through the API (deferred); fails the test on any refusal. */
export async function settleMany(
  f: SettlementFixture,
  specs: Array<{ payerIndex?: number; amount?: bigint; validBefore?: bigint }>,
  concurrency = 8,
): Promise<SettledPayment[]> {
  // Sign sequentially: the fixture's seeded nonce generator is not re-entrant across awaits.
  const signed = [];
  for (const s of specs) signed.push({ s, ...(await f.sign(s)) });
  return mapLimit(signed, concurrency, async ({ s, body, payload }) => {
    const res = await f.settle(body);
    if (res.status !== 200 || res.body.success !== true) throw new Error(`settle refused: ${res.status} ${JSON.stringify(res.body)}`);
    return {
      ref: res.body.extensions.tollgate.reference as string,
      amount: s.amount ?? 10_000n,
      payer: payload.authorization.from as Address,
      nonce: payload.authorization.nonce as Hex,
      body,
    };
  });
}

export const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Statuses of `refs`, in order. */
export async function statuses(f: SettlementFixture, refs: string[]): Promise<string[]> {
  const rows: Array<{ reference: string; status: string }> = await f.api.db.query(`SELECT reference, status FROM payments WHERE reference = ANY($1)`, [refs]);
  const by = new Map(rows.map((r) => [r.reference, r.status]));
  return refs.map((r) => by.get(r) ?? 'missing');
}

export function countBy(xs: string[]): Record<string, number> {
  return xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
}

/** Waits until every payment of `refs` is in `status`. */
export function waitAll(f: SettlementFixture, refs: string[], status: string, timeoutMs = 30_000, extra?: () => Promise<string>): Promise<string[]> {
  return eventually(
    `${refs.length} payment(s) ${status}`,
    async () => {
      const s = await statuses(f, refs);
      return s.every((x) => x === status) ? s : undefined;
    },
    timeoutMs,
    async () => `${JSON.stringify(countBy(await statuses(f, refs)))}${extra ? ` ${await extra()}` : ''}`,
  );
}

/** Event history of a payment: `[from → to (reason)]`. */
export async function eventsOf(f: SettlementFixture, ref: string): Promise<Array<{ from_status: string | null; to_status: string; reason: string | null; detail: any }>> {
  return f.api.db.query(
    `SELECT e.from_status, e.to_status, e.reason, e.detail FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.reference = $1 ORDER BY e.id`,
    [ref],
  );
}

/**
 * Proves, from the chain, that every payment settled exactly once and that Postgres says where:
 * status `confirmed`, its recorded transaction succeeded in a canonical block, the log at its
 * `log_index` is `AuthorizationUsed(payer, nonce)`, and the authorization is spent on the token.
 */
export async function expectSettledOnChain(f: SettlementFixture, payments: SettledPayment[]): Promise<void> {
  const d = f.api.chain.deployment;
  const rows: Array<{ reference: string; status: string; tx_hash: Hex; log_index: number; block_hash: string }> = await f.api.db.query(
    `SELECT reference, status, tx_hash, log_index, block_hash FROM payments WHERE reference = ANY($1)`,
    [payments.map((p) => p.ref)],
  );
  const byRef = new Map(rows.map((r) => [r.reference, r]));
  const receipts = new Map<string, Awaited<ReturnType<typeof f.chain.public.getTransactionReceipt>>>();
  for (const p of payments) {
    const row = byRef.get(p.ref)!;
    expect({ ref: p.ref, status: row.status }).toEqual({ ref: p.ref, status: 'confirmed' });
    let receipt = receipts.get(row.tx_hash);
    if (!receipt) {
      receipt = await f.chain.public.getTransactionReceipt({ hash: row.tx_hash });
      receipts.set(row.tx_hash, receipt);
      expect(receipt.status).toBe('success');
      const canonical = await f.chain.public.getBlock({ blockNumber: receipt.blockNumber });
      expect(canonical.hash).toBe(receipt.blockHash);
    }
    expect(row.block_hash).toBe(receipt.blockHash.toLowerCase());
    const log = receipt.logs.find((l) => l.logIndex === row.log_index);
    expect(log).toBeDefined();
    const ev = decodeEventLog({ abi: eip3009TokenAbi, data: log!.data, topics: log!.topics });
    expect(ev.eventName).toBe('AuthorizationUsed');
    expect(((ev.args as any).authorizer as string).toLowerCase()).toBe(p.payer.toLowerCase());
    expect(((ev.args as any).nonce as string).toLowerCase()).toBe(p.nonce.toLowerCase());
    const used = await f.chain.public.readContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'authorizationState', args: [p.payer, p.nonce] });
    expect(used).toBe(true);
  }
}

/** Pauses or resumes the fixture's lane (the operator control in `lanes`): a paused lane never flushes. */
export async function setLanePaused(f: SettlementFixture, paused: boolean): Promise<void> {
  const d = f.api.chain.deployment;
  await f.api.db.query(
    `INSERT INTO lanes (network, asset, paused) VALUES ($1, $2, $3) ON CONFLICT (network, asset) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()`,
    [d.network, d.token.address.toLowerCase(), paused],
  );
}

/** Balance of the fixture's payTo, for before/after comparisons. */
export const payToBalance = (f: SettlementFixture): Promise<bigint> => tokenBalance(f, f.payTo);

// ---------------------------------------------------------------------------------------- anvil

export async function rpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** A funded outsider (not a relayer of ours) that can send transactions on the devchain. */
export async function outsider(f: SettlementFixture, key: Hex = generatePrivateKey()) {
  const d = f.api.chain.deployment;
  const account = privateKeyToAccount(key);
  await f.chain.test.setBalance({ address: account.address, value: parseEther('10') });
  const wallet = createWalletClient({ account, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
  return { account, wallet };
}

/** Sends a transaction and waits for its (successful) receipt; mines a block if automine is off. */
export async function sendAndMine(f: SettlementFixture, send: () => Promise<Hex>): Promise<Hex> {
  const hash = await send();
  if (!(await f.chain.test.getAutomine())) await f.chain.test.mine({ blocks: 1 });
  const receipt = await f.chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return hash;
}

/** The payer cancels one of its authorizations on chain (EIP-3009 cancelAuthorization, sent by the payer). */
export async function payerCancels(f: SettlementFixture, payerKey: Hex, nonce: Hex): Promise<Hex> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f, payerKey);
  const signature = await account.signTypedData({
    domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
    types: { CancelAuthorization: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
    primaryType: 'CancelAuthorization',
    message: { authorizer: account.address, nonce },
  });
  return sendAndMine(f, () =>
    wallet.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'cancelAuthorization', args: [account.address, nonce, signature] }),
  );
}

/** The payer moves its whole token balance to a fresh address. */
export async function payerDrains(f: SettlementFixture, payerKey: Hex): Promise<Hex> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f, payerKey);
  const balance = await tokenBalance(f, account.address);
  const sink = privateKeyToAccount(generatePrivateKey()).address;
  return sendAndMine(f, () => wallet.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'transfer', args: [sink, balance] }));
}

/** A third party settles the authorization of `body` straight on the token, before Tollgate does. */
export async function frontRun(f: SettlementFixture, body: any): Promise<{ hash: Hex; sender: Address }> {
  const d = f.api.chain.deployment;
  const { account, wallet } = await outsider(f);
  const a = body.paymentPayload.payload.authorization;
  const hash = await sendAndMine(f, () =>
    wallet.writeContract({
      address: d.token.address,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, body.paymentPayload.payload.signature],
    }),
  );
  return { hash, sender: account.address };
}

/**
 * Inserts a `queued` payment straight into Postgres, with the columns and event rows the API writes
 * (`/verify` would refuse the authorization, e.g. because its signature is corrupt).
 */
export async function insertQueuedPayment(f: SettlementFixture, body: any): Promise<string> {
  const d = f.api.chain.deployment;
  const req = body.paymentRequirements;
  const a = body.paymentPayload.payload.authorization;
  const reference = testApps().newPaymentReference();
  await f.api.db.transaction(async (m) => {
    const [{ id }] = await m.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                             valid_after, valid_before, expires_at, nonce, signature, status, settlement_mode, queued_at, requirements)
       VALUES ($1, $2, 2, 'exact', $3, $4, $5, $6, $7, $8, $9, to_timestamp($9::numeric), $10, $11, 'queued', 'deferred', now(), $12::jsonb)
       RETURNING id`,
      [
        reference,
        f.merchantId,
        d.network,
        d.token.address.toLowerCase(),
        a.from.toLowerCase(),
        a.to.toLowerCase(),
        a.value,
        a.validAfter,
        a.validBefore,
        a.nonce.toLowerCase(),
        body.paymentPayload.payload.signature.toLowerCase(),
        JSON.stringify({ payTo: req.payTo, amount: req.amount, asset: req.asset, maxTimeoutSeconds: req.maxTimeoutSeconds, extra: req.extra }),
      ],
    );
    await m.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, NULL, 'verified')`, [id]);
    await m.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, 'verified', 'queued')`, [id]);
  });
  return reference;
}

// ------------------------------------------------------------------------------ worker process

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Lines the process wrote to stdout so far. */
  stdout(): string;
  /**
   * Resolves once the worker logged that its consumers started. Boot compiles the worker with ts-node,
   * which takes tens of seconds on a loaded 2-core machine: tests wait for this instead of letting boot
   * time eat into the deadline of the behaviour they check.
   */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/**
 * Starts `apps/worker/src/main.ts` as its own OS process with the fixture's configuration
 * (database, Redis, queue prefix, deployment file and settlement settings), plus `env`.
 * `preload` modules (paths relative to the repository) are required before main.
 */
export function spawnWorker(f: SettlementFixture, env: Record<string, string> = {}, preload: string[] = []): WorkerProcess {
  const c = f.api.config;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-worker-'));
  const logFile = join(dir, 'worker.log');
  const log = createWriteStream(logFile);
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'test',
    TS_NODE_TRANSPILE_ONLY: '1',
    LOG_LEVEL: 'info',
    DATABASE_URL: c.databaseUrl,
    DATABASE_POOL_SIZE: '12',
    REDIS_URL: c.redisUrl,
    QUEUE_PREFIX: c.queuePrefix,
    DEVCHAIN_FILE: f.api.chain.deploymentFile,
    // Several workers (and other test files) run at once: no fixed health/metrics port.
    WORKER_METRICS_PORT: '0',
    ...f.env,
    ...env,
  };
  const args = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', ...preload.flatMap((p) => ['-r', resolve(REPO_ROOT, p)]), testApps().workerEntry];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    log.write(b);
  });
  child.stderr!.on('data', (b: Buffer) => log.write(b));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      log.end();
      r({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid!,
    logFile,
    exited,
    stdout: () => out,
    async ready(timeoutMs = 120_000) {
      await eventually('the worker process started', () => out.includes('workers started') || child.exitCode !== null || child.signalCode !== null, timeoutMs, async () => `(log: ${logFile})`);
      if (!out.includes('workers started')) throw new Error(`the worker process exited before starting (log: ${logFile})`);
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Writes a copy of the deployment file whose rpcUrl points elsewhere (e.g. at an {@link RpcGate}). */
export function deploymentVia(f: SettlementFixture, rpcUrl: string): string {
  const d = JSON.parse(readFileSync(f.api.chain.deploymentFile, 'utf8')) as DevchainDeployment;
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-gated-')), 'deployment.json');
  writeFileSync(file, JSON.stringify({ ...d, rpcUrl }, null, 2));
  return file;
}

// ------------------------------------------------------------------------------------ RPC gate

interface HeldRequest {
  body: string;
  methods: string[];
  res: ServerResponse;
}

/**
 * A JSON-RPC pass-through in front of anvil that can hold requests whose method matches a rule — a
 * worker then waits on that call, frozen at a known point, until the test kills it (held requests
 * are dropped, never forwarded) or releases them (forwarded). Understands JSON-RPC batches.
 */
export class RpcGate {
  private server?: Server;
  private rule: ((method: string) => boolean) | null = null;
  private freezeAfterReceipt = false;
  private held: HeldRequest[] = [];
  /** True once {@link holdAllAfterFirstReceipt} has seen its receipt and started holding everything. */
  frozenAfterReceipt = false;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  /** Holds every request that contains a call to one of `methods`. */
  hold(...methods: string[]): void {
    this.rule = (m) => methods.includes(m);
  }

  /** Holds everything once a non-null transaction receipt has been answered. */
  holdAllAfterFirstReceipt(): void {
    this.freezeAfterReceipt = true;
  }

  /** Lets everything through again (does not touch requests already held). */
  open(): void {
    this.rule = null;
    this.freezeAfterReceipt = false;
    this.frozenAfterReceipt = false;
  }

  heldMethods(): string[] {
    return this.held.flatMap((h) => h.methods);
  }

  /** Forwards the held requests (their callers get the real answers). */
  async release(): Promise<void> {
    const held = this.held.splice(0);
    await Promise.all(held.map((h) => this.forward(h.body, h.res)));
  }

  /** Discards the held requests: they never reach the chain. */
  drop(): void {
    for (const h of this.held.splice(0)) h.res.destroy();
  }

  async stop(): Promise<void> {
    this.drop();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let methods: string[] = [];
    try {
      const parsed = JSON.parse(body);
      methods = (Array.isArray(parsed) ? parsed : [parsed]).map((c: { method: string }) => c.method);
    } catch {
      // forward as is
    }
    if (this.rule && methods.some(this.rule)) {
      const h = { body, methods, res };
      this.held.push(h);
      res.on('close', () => (this.held = this.held.filter((x) => x !== h)));
      return;
    }
    await this.forward(body, res, methods);
  }

  private async forward(body: string, res: ServerResponse, methods: string[] = []): Promise<void> {
    try {
      const upstream = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await upstream.text();
      if (this.freezeAfterReceipt && methods.includes('eth_getTransactionReceipt') && hasReceipt(text)) {
        this.freezeAfterReceipt = false;
        this.frozenAfterReceipt = true;
        this.rule = () => true;
      }
      if (!res.destroyed) res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    } catch {
      res.destroy();
    }
  }
}

function hasReceipt(text: string): boolean {
  try {
    const parsed = JSON.parse(text);
    return (Array.isArray(parsed) ? parsed : [parsed]).some((r: { result?: { blockHash?: string } }) => !!r.result?.blockHash && 'logs' in (r.result as object));
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------- redis-server

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** A private, throw-away redis-server (no persistence) on a free port. */
export async function startRedisServer(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => (children.delete(child), r())));
  const url = `redis://127.0.0.1:${port}`;
  const IORedis = (await import('ioredis')).default;
  await eventually(`redis-server on ${port}`, async () => {
    const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, 10_000);
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
