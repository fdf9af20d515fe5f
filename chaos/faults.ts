/**
 * The chaos run's fault schedule: each fault (proxy windows, process kills, mempool drops, reorgs, ...) is a
 * function of the running stack that injects, waits and returns a one-line detail for the report.
 */
import { FaultProxy, type ProxyFault } from './rpc-proxy';
import { PgCluster, RedisServer } from './services';
import { anvilRpc, sleep, Supervised } from './supervised';

export interface FaultCtx {
  api: Supervised;
  worker: Supervised;
  pg: PgCluster;
  redis: RedisServer;
  proxy: FaultProxy;
  anvilUrl: string;
  relayers: Set<string>;
  workerBootMs: number;
}

export interface FaultRecord {
  name: string;
  /** Injection start and end, epoch ms. */
  startedAt: number;
  endedAt: number;
  detail: string;
  recoverMs?: number | null;
  worstLatencyMs?: number | null;
  payments?: number;
  /** Payments accepted during the fault (whose confirmation measures recovery), and how many never confirmed. */
  cohort?: number;
  unconfirmed?: number;
}

type FaultFn = (c: FaultCtx) => Promise<string>;

/** Holds the proxy fault for `ms` (or until its hit budget is spent), then clears it. */
async function proxyWindow(c: FaultCtx, f: ProxyFault, ms: number): Promise<string> {
  c.proxy.setFault(f);
  const t0 = Date.now();
  while (Date.now() - t0 < ms && c.proxy.active === f) await sleep(100);
  const hits = c.proxy.hits;
  c.proxy.setFault(null);
  return `${hits} request(s) hit${f.methods ? ` (${f.methods.join(',')})` : ''}`;
}

type PoolContent = { pending: Record<string, Record<string, { hash: string; nonce: string }>>; queued: Record<string, Record<string, { hash: string }>> };

/** The relayers' transactions waiting in anvil's pool (pending and queued). */
async function relayerPool(c: FaultCtx): Promise<Array<{ from: string; nonce: number; hash: string; queued: boolean }>> {
  const pool = await anvilRpc<PoolContent>(c.anvilUrl, 'txpool_content');
  const out: Array<{ from: string; nonce: number; hash: string; queued: boolean }> = [];
  for (const [queued, group] of [[false, pool.pending], [true, pool.queued]] as const) {
    for (const [from, byNonce] of Object.entries(group ?? {})) {
      if (!c.relayers.has(from.toLowerCase())) continue;
      for (const [nonce, tx] of Object.entries(byNonce)) out.push({ from: from.toLowerCase(), nonce: Number(nonce), hash: tx.hash, queued });
    }
  }
  return out;
}

/** Runs `fn` with interval mining stopped (so the pool and the head hold still), then mines every 1 s again. */
async function frozen<T>(c: FaultCtx, fn: () => Promise<T>): Promise<T> {
  await anvilRpc(c.anvilUrl, 'evm_setIntervalMining', [0]);
  try {
    return await fn();
  } finally {
    await anvilRpc(c.anvilUrl, 'evm_setIntervalMining', [1]);
  }
}

async function waitFor<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  return undefined;
}

/** Drops relayer transactions from the mempool: one (`all` false) or all of them. */
function mempoolDrop(all: boolean): FaultFn {
  return (c) =>
    frozen(c, async () => {
      const pending = await waitFor(10_000, async () => {
        const p = await relayerPool(c);
        return p.length ? p : undefined;
      });
      if (!pending) return 'no relayer transaction reached the mempool within 10 s: nothing dropped';
      if (all) {
        await anvilRpc(c.anvilUrl, 'anvil_dropAllTransactions');
        return `dropped all ${pending.length} pending relayer transaction(s) (nonces ${pending.map((p) => p.nonce).join(',')})`;
      }
      await anvilRpc(c.anvilUrl, 'anvil_dropTransaction', [pending[0].hash]);
      return `dropped ${pending[0].hash.slice(0, 10)}… (relayer ${pending[0].from.slice(0, 8)}…, nonce ${pending[0].nonce})`;
    });
}

/**
 * One-block reorg (`anvil_reorg(1, [])`: the head block is replaced by an empty one, its transactions are gone)
 * of a head holding a relayer transaction. `nextNonceInFlight`: only once the same relayer's next nonce
 * waits in the mempool, so the reorg leaves a nonce gap behind it; otherwise a head with nothing of ours
 * pending, mined by the fault itself from what the pool held (mining stopped meanwhile).
 */
function reorg(nextNonceInFlight: boolean): FaultFn {
  return async (c) => {
    const deadline = Date.now() + 30_000;
    if (!nextNonceInFlight) {
      // Under load the worker submits every few hundred ms and anvil mines once a second, so a head holding our
      // transaction with nothing of ours pending hardly ever happens by itself (the fault did not fire in some
      // runs). With mining stopped, mine what the pool holds: the new head carries our transactions and, until
      // the worker submits again, nothing of ours is pending.
      while (Date.now() < deadline) {
        const done = await frozen(c, async () => {
          if ((await relayerPool(c)).length) await anvilRpc(c.anvilUrl, 'evm_mine');
          const head = await anvilRpc<{ number: string; transactions: Array<{ from: string; nonce: string; hash: string }> }>(c.anvilUrl, 'eth_getBlockByNumber', ['latest', true]);
          const tx = head.transactions.find((t) => c.relayers.has(t.from.toLowerCase()));
          if (!tx || (await relayerPool(c)).length) return undefined;
          await anvilRpc(c.anvilUrl, 'anvil_reorg', [1, []]);
          const back = (await relayerPool(c)).some((p) => p.hash === tx.hash);
          return (
            `block ${Number(head.number)} with ${tx.hash.slice(0, 10)}… (relayer ${tx.from.toLowerCase().slice(0, 8)}…, nonce ${Number(tx.nonce)}) reorged out; nothing in flight` +
            (back ? '; the transaction went back to the pool' : '; the transaction is gone from the node')
          );
        });
        if (done) return done;
        await sleep(150);
      }
      return 'no suitable head within 30 s: no reorg';
    }
    while (Date.now() < deadline) {
      const head = await anvilRpc<{ number: string; hash: string; transactions: Array<{ from: string; nonce: string; hash: string }> }>(c.anvilUrl, 'eth_getBlockByNumber', ['latest', true]);
      const tx = head.transactions.find((t) => c.relayers.has(t.from.toLowerCase()));
      if (!tx) {
        await sleep(150);
        continue;
      }
      const done = await frozen(c, async () => {
        const still = await anvilRpc<{ hash: string }>(c.anvilUrl, 'eth_getBlockByNumber', ['latest', false]);
        if (still.hash !== head.hash) return undefined;
        const nonce = Number(tx.nonce);
        const from = tx.from.toLowerCase();
        const next = await waitFor(8_000, async () => (await relayerPool(c)).find((p) => p.from === from && p.nonce > nonce));
        if (!next) return undefined;
        await anvilRpc(c.anvilUrl, 'anvil_reorg', [1, []]);
        const after = await relayerPool(c);
        const back = after.some((p) => p.hash === tx.hash);
        return (
          `block ${Number(head.number)} with ${tx.hash.slice(0, 10)}… (relayer ${from.slice(0, 8)}…, nonce ${nonce}) reorged out; nonce ${next.nonce} was in flight` +
          (back ? '; the transaction went back to the pool' : '; the transaction is gone from the node')
        );
      });
      if (done) return done;
    }
    return 'no suitable head within 30 s: no reorg';
  };
}

/**
 * The fault cycle, in order. Process kills come early so that they land in traffic (the boot-time kill waits
 * for most of a boot); the reorg that leaves a nonce gap comes last.
 */
export const FAULTS: Array<{ name: string; fn: FaultFn }> = [
  { name: 'rpc error before forwarding (4 s)', fn: (c) => proxyWindow(c, { mode: 'error-before' }, 4_000) },
  { name: 'rpc hang before forwarding (4 s)', fn: (c) => proxyWindow(c, { mode: 'hang-before', holdMs: 12_000 }, 4_000) },
  {
    name: 'API SIGKILL',
    fn: async (c) => {
      await c.api.kill();
      c.api.spawn();
      return 'killed and restarted (clients retry)';
    },
  },
  { name: 'rpc error after forwarding (4 s)', fn: (c) => proxyWindow(c, { mode: 'error-after' }, 4_000) },
  { name: 'rpc hang after forwarding (4 s)', fn: (c) => proxyWindow(c, { mode: 'hang-after', holdMs: 12_000 }, 4_000) },
  {
    name: 'worker SIGKILL',
    fn: async (c) => {
      await c.worker.kill();
      c.worker.spawn();
      return 'killed and restarted';
    },
  },
  {
    name: 'sendRawTransaction error after broadcast',
    fn: (c) => proxyWindow(c, { mode: 'error-after', methods: ['eth_sendRawTransaction'], maxHits: 2 }, 15_000),
  },
  {
    name: 'sendRawTransaction hang before broadcast',
    fn: (c) => proxyWindow(c, { mode: 'hang-before', methods: ['eth_sendRawTransaction'], maxHits: 1, holdMs: 12_000 }, 15_000),
  },
  {
    name: 'worker SIGKILL during boot',
    fn: async (c) => {
      await c.worker.kill();
      c.worker.spawn();
      const at = Math.round(c.workerBootMs * 0.7);
      await sleep(at);
      await c.worker.kill();
      c.worker.spawn();
      return `killed, restarted, killed again ${at} ms into boot (boot ≈ ${c.workerBootMs} ms), restarted`;
    },
  },
  { name: 'mempool drop (one tx)', fn: mempoolDrop(false) },
  { name: 'mempool drop (all)', fn: mempoolDrop(true) },
  {
    name: 'redis FLUSHALL',
    fn: async (c) => {
      await c.redis.command((r) => r.flushall());
      return 'every key gone (queues, jobs, nudges)';
    },
  },
  {
    name: 'postgres restart -m fast',
    fn: async (c) => {
      const t0 = Date.now();
      await c.pg.restartFast();
      return `down and back in ${Date.now() - t0} ms`;
    },
  },
  { name: 'reorg 1 block, nothing in flight', fn: reorg(false) },
  { name: 'reorg 1 block, next nonce in flight', fn: reorg(true) },
];
