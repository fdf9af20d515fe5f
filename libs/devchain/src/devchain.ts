import { startAnvil, type AnvilInstance, type StartAnvilOptions } from './anvil';
import { deployDevchain, type DeployDevchainOptions, type DevchainDeployment } from './deploy';

/** Options for {@link startDevchain}: anvil options and deployment options together. */
export type StartDevchainOptions = StartAnvilOptions & DeployDevchainOptions;

/** A running anvil node with the devchain fixtures deployed. Call `anvil.stop()` when done. */
export interface RunningDevchain {
  anvil: AnvilInstance;
  deployment: DevchainDeployment;
}

/**
 * Starts anvil ({@link startAnvil}) and deploys the fixtures ({@link deployDevchain}).
 * If deployment fails the node is stopped before the error is rethrown, so a
 * failed call leaves no process behind.
 *
 * @throws whatever startAnvil or deployDevchain throws.
 */
export async function startDevchain(options: StartDevchainOptions = {}): Promise<RunningDevchain> {
  const anvil = await startAnvil(options);
  try {
    const deployment = await deployDevchain(anvil.rpcUrl, options);
    return { anvil, deployment };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}
