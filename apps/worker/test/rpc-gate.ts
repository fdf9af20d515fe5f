/**
 * A JSON-RPC gate for the settlement scenario tests: sits in front of anvil and can freeze a worker
 * at a chosen call. Re-exported from settlement-support.ts.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

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
