/**
 * A JSON-RPC proxy on 127.0.0.1 between Tollgate and anvil that injects faults on command. Tollgate's
 * deployment file points at the proxy; the chaos run itself talks to anvil directly.
 *
 * Fault modes (each for one window, or for the first `maxHits` matching requests):
 * - `error-before`: answered with an error without reaching the node (HTTP 502, or a JSON-RPC -32603 error
 *   per request, alternately);
 * - `hang-before`: held without reaching the node, then the connection is cut;
 * - `error-after`: forwarded (the node acts on it: a raw transaction IS broadcast), then answered with an error;
 * - `hang-after`: forwarded, then the answer is held and the connection cut.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ProxyFaultMode = 'error-before' | 'hang-before' | 'error-after' | 'hang-after';

/** One active fault. */
export interface ProxyFault {
  mode: ProxyFaultMode;
  /** Only requests (or batches) containing one of these methods; all when omitted. */
  methods?: string[];
  /** The fault ends after this many matching requests. */
  maxHits?: number;
  /** How long a hung request is held before its connection is cut (ms). */
  holdMs?: number;
}

interface RpcRequest {
  id?: unknown;
  method?: string;
}

export class FaultProxy {
  private server?: Server;
  private fault: ProxyFault | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly holds = new Set<NodeJS.Timeout>();
  private closing = false;
  /** Requests that the current fault hit, and per method over the whole run. */
  hits = 0;
  readonly hitMethods = new Map<string, number>();
  requests = 0;
  port = 0;

  constructor(private readonly upstream: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on a free loopback port. */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(0, '127.0.0.1', () => r());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Sets (or clears, with null) the active fault; resets the hit count. */
  setFault(f: ProxyFault | null): void {
    this.fault = f;
    this.hits = 0;
  }

  get active(): ProxyFault | null {
    return this.fault;
  }

  private matching(reqs: RpcRequest[]): ProxyFault | null {
    const f = this.fault;
    if (!f) return null;
    if (f.methods && !reqs.some((r) => r.method && f.methods!.includes(r.method))) return null;
    this.hits++;
    for (const r of reqs) if (r.method) this.hitMethods.set(r.method, (this.hitMethods.get(r.method) ?? 0) + 1);
    if (f.maxHits !== undefined && this.hits >= f.maxHits) this.fault = null;
    return f;
  }

  private hold(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.holds.delete(t);
        r();
      }, ms);
      this.holds.add(t);
    });
  }

  private errorBody(reqs: RpcRequest[], batch: boolean): string {
    const errs = reqs.map((r) => ({ jsonrpc: '2.0', id: r.id ?? null, error: { code: -32603, message: 'chaos: injected RPC failure' } }));
    return JSON.stringify(batch ? errs : errs[0]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = {};
    }
    const batch = Array.isArray(parsed);
    const reqs = (batch ? parsed : [parsed]) as RpcRequest[];
    const f = this.matching(reqs);
    if (f?.mode === 'error-before') {
      if (this.hits % 2) res.writeHead(502, { 'content-type': 'text/plain' }).end('chaos: bad gateway');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(this.errorBody(reqs, batch));
      return;
    }
    if (f?.mode === 'hang-before') {
      await this.hold(f.holdMs ?? 12_000);
      req.socket.destroy();
      return;
    }
    let status = 502;
    let text = 'chaos: upstream unreachable';
    try {
      const up = await fetch(this.upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      status = up.status;
      text = await up.text();
    } catch {
      // answered 502 below
    }
    if (this.closing) return void req.socket.destroy();
    if (f?.mode === 'error-after') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(this.errorBody(reqs, batch));
      return;
    }
    if (f?.mode === 'hang-after') {
      await this.hold(f.holdMs ?? 12_000);
      req.socket.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  }

  /** Cuts every connection and stops listening. */
  async stop(): Promise<void> {
    this.closing = true;
    for (const t of this.holds) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
