import { createServer } from 'node:net';
import { startSvmDevchain, svmDeploymentOf, type DevchainConfig, type DevchainDeployment, type SvmDeployment } from '@tollgate/devchain';

/** `<K>` of the `SOLANA_*_<K>` variables: the network's v1 name in upper case with `_` (`SOLANA_DEVNET`). */
function varSuffix(s: SvmDeployment): string {
  return s.v1Name.toUpperCase().replace(/-/g, '_');
}

/**
 * The configuration that makes Tollgate serve the Solana devchain `s` (see README, "Solana"): its network,
 * RPC URL, fee-payer addresses and mint. Public values only; the fee-payer keys are {@link solanaFeePayerKeysEnv}.
 * It replaces any `SOLANA_NETWORKS` of the environment: the demo pays on the devchain.
 */
export function solanaEnv(s: SvmDeployment): Record<string, string> {
  const k = varSuffix(s);
  return {
    SOLANA_NETWORKS: s.v1Name,
    [`SOLANA_RPC_URL_${k}`]: s.rpcUrl,
    [`SOLANA_FEE_PAYERS_${k}`]: s.feePayers.map((f) => f.address).join(','),
    [`SOLANA_MINTS_${k}`]: `${s.mint.address}:${s.mint.decimals}:USDC`,
  };
}

/** The worker-only `SOLANA_FEE_PAYER_KEYS_<K>` of the devchain `s` (its public test keys). */
export function solanaFeePayerKeysEnv(s: SvmDeployment): Record<string, string> {
  return { [`SOLANA_FEE_PAYER_KEYS_${varSuffix(s)}`]: s.feePayers.map((f) => f.secretKey).join(',') };
}

/** One JSON-RPC call with a short timeout; undefined when nothing (or an error) answers. */
async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json()) as { result?: unknown };
    return body.result;
  } catch {
    return undefined;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

/**
 * The Solana devchain the demo pays on: the deployment file's `solana` section when its RPC answers and
 * its mint exists there (`npm run devchain` started it), else a new one in this process (litesvm behind
 * JSON-RPC on `DEVCHAIN_SVM_PORT`, or a free port when that one is taken), which `stop()` stops. The file is
 * left alone: the in-process chain lives and dies with the demo.
 */
export async function reuseOrStartSvmDevchain(
  evm: DevchainDeployment,
  dc: DevchainConfig,
  log: (line: string) => void,
): Promise<{ deployment: SvmDeployment; stop?: () => Promise<void> }> {
  const existing = evm.solana;
  if (existing) {
    const mint = (await rpcCall(existing.rpcUrl, 'getAccountInfo', [existing.mint.address, { encoding: 'base64' }])) as { value?: unknown } | undefined;
    if (mint?.value) {
      log(`reusing the Solana devchain at ${existing.rpcUrl} (${existing.network}) from ${dc.file}`);
      return { deployment: existing };
    }
  }
  const port = (await portIsFree(dc.svmPort)) ? dc.svmPort : 0;
  if (port !== dc.svmPort) log(`DEVCHAIN_SVM_PORT ${dc.svmPort} is taken; the demo's Solana devchain uses a free port instead`);
  const svm = await startSvmDevchain({ port, payers: Math.max(dc.payers, 1) });
  log(`started a Solana devchain (litesvm, in this process) on ${svm.url}, posing as ${svm.network}`);
  return { deployment: svmDeploymentOf(svm), stop: () => svm.stop() };
}
