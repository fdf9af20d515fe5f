/**
 * `npm run devchain`: runs a local anvil chain in the foreground with the
 * Tollgate fixtures deployed, and writes the deployment file the API, worker
 * and demo read. Ctrl+C stops the chain.
 *
 * If a devchain from an earlier run still answers on the port and the
 * deployment file matches it, nothing is started and the process exits 0, so
 * scripts can call this unconditionally.
 */
import { createPublicClient, http, type PublicClient } from 'viem';
import {
  DEFAULT_PAYER_FUNDING_ATOMIC,
  deployDevchain,
  readDeployment,
  startAnvil,
  startSvmDevchain,
  svmDeploymentOf,
  writeDeployment,
  type AnvilInstance,
  type DevchainDeployment,
  type SvmDevchain,
} from '@tollgate/devchain';
import { loadDevchainConfig, type DevchainConfig } from './devchain.config';

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Whole tokens from atomic units (truncating; only used for display). */
function formatTokens(atomic: bigint, decimals: number): string {
  return (atomic / 10n ** BigInt(decimals)).toLocaleString('en-US');
}

function printSummary(d: DevchainDeployment, config: DevchainConfig, heading: string): void {
  const t = d.token;
  log(heading);
  log(`  RPC URL      ${d.rpcUrl}`);
  log(`  Chain        ${d.chainId} (${d.network})`);
  log(`  Mining       ${config.blockTimeSeconds === undefined ? 'automine' : `every ${config.blockTimeSeconds} s`}`);
  log(`  Token        ${t.symbol} ${t.address}`);
  log(`  EIP-712      name "${t.name}", version "${t.version}", ${t.decimals} decimals`);
  log(`  Multicall3   ${d.multicall3}`);
  log(`  Deployer     ${d.deployer.address}`);
  log(`  Relayers     ${d.relayers.map((a) => a.address).join('\n               ') || '(none)'}`);
  log(`  Payers       ${d.payers.map((a) => a.address).join('\n               ') || '(none)'}`);
  log(`  PayTo        ${d.payTo.map((a) => a.address).join('\n               ') || '(none)'}`);
  if (d.solana) {
    const s = d.solana;
    log(`  Solana       ${s.rpcUrl} (in-process SVM posing as ${s.network}; real deployments use any Solana RPC)`);
    log(`  Mint         ${s.mint.address} (${s.mint.decimals} decimals)`);
    log(`  Fee payers   ${s.feePayers.map((a) => a.address).join('\n               ')}`);
    log(`  SVM payers   ${s.payers.map((a) => a.address).join('\n               ')}`);
    log(`  SVM payTo    ${s.payTo.map((a) => a.address).join('\n               ')}`);
  }
  // Keys are deliberately not printed: terminals end up in screenshots and CI
  // logs, and people copy what they see. The file has them for tooling.
  log(`  Deployment   ${config.file} (contains the devchain private keys)`);
}

type Probe =
  | { kind: 'free' }
  | { kind: 'reusable'; deployment: DevchainDeployment }
  | { kind: 'foreign'; reason: string };

/** Decides whether something already serves `rpcUrl`, and whether it is our devchain. */
async function probeExisting(rpcUrl: string, config: DevchainConfig): Promise<Probe> {
  const client: PublicClient = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 2_000 }) });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch {
    return { kind: 'free' };
  }

  let deployment: DevchainDeployment;
  try {
    deployment = await readDeployment(config.file);
  } catch (err) {
    return { kind: 'foreign', reason: (err as Error).message };
  }
  if (deployment.chainId !== chainId) {
    return { kind: 'foreign', reason: `it reports chain id ${chainId}, the deployment file says ${deployment.chainId}` };
  }
  if (new URL(deployment.rpcUrl).port !== String(config.port)) {
    return { kind: 'foreign', reason: `the deployment file describes a chain at ${deployment.rpcUrl}` };
  }
  const code = await client.getCode({ address: deployment.token.address }).catch(() => undefined);
  if (!code || code === '0x') {
    return { kind: 'foreign', reason: `token ${deployment.token.address} from ${config.file} has no code there` };
  }
  return { kind: 'reusable', deployment };
}

async function main(): Promise<void> {
  const config = loadDevchainConfig();
  const rpcUrl = `http://127.0.0.1:${config.port}`;

  const probe = await probeExisting(rpcUrl, config);
  if (probe.kind === 'reusable') {
    printSummary(probe.deployment, config, `Devchain already running on ${rpcUrl}; reusing it.`);
    const t = probe.deployment.token;
    if (t.name !== config.tokenName || t.version !== config.tokenVersion) {
      log(`  Note: the running token's domain differs from DEVCHAIN_TOKEN_NAME/VERSION; stop it to redeploy.`);
    }
    process.exit(0);
  }
  if (probe.kind === 'foreign') {
    process.stderr.write(
      `devchain: a node already answers on ${rpcUrl} but is not a reusable devchain (${probe.reason}). ` +
        `Stop it or set DEVCHAIN_PORT.\n`,
    );
    process.exit(1);
  }

  let anvil: AnvilInstance | undefined;
  let svm: SvmDevchain | undefined;
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      // Second Ctrl+C: the user wants out now. The devchain library's exit
      // hook still kills anvil.
      process.exit(130);
    }
    stopping = true;
    log(`\nReceived ${signal}, stopping anvil and the Solana devchain...`);
    await Promise.all([anvil?.stop(), svm?.stop()]);
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));

  const started = Date.now();
  anvil = await startAnvil({ port: config.port, host: config.host, chainId: config.chainId, blockTimeSeconds: config.blockTimeSeconds });
  void anvil.exited.then(({ code, signal }) => {
    if (stopping) return;
    process.stderr.write(`devchain: anvil exited unexpectedly (code ${code}, signal ${signal})\n`);
    process.exit(1);
  });

  const localRpcUrl = `http://127.0.0.1:${anvil.port}`;
  const deployed = await deployDevchain(localRpcUrl, {
    tokenName: config.tokenName,
    tokenVersion: config.tokenVersion,
    payerCount: config.payers,
    payerFundingAtomic: DEFAULT_PAYER_FUNDING_ATOMIC,
  });
  // The SVM chain lives in this process (litesvm), so it stops with it; it serves loopback only.
  svm = await startSvmDevchain({ port: config.svmPort, payers: config.payers });
  const deployment = { ...deployed, rpcUrl: config.publicRpcUrl ?? localRpcUrl, solana: svmDeploymentOf(svm) };
  await writeDeployment(config.file, deployment);

  const funding =
    deployment.payers.length > 0
      ? ` (payers hold ${formatTokens(DEFAULT_PAYER_FUNDING_ATOMIC, deployment.token.decimals)} ${deployment.token.symbol} each)`
      : '';
  printSummary(deployment, config, `Devchain ready in ${Date.now() - started} ms${funding}.`);
  log('Press Ctrl+C to stop.');
}

main().catch((err: unknown) => {
  process.stderr.write(`devchain: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
