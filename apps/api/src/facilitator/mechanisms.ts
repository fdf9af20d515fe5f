import { Provider } from '@nestjs/common';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ExactEvmMechanism, ExactEvmVerifier } from '@tollgate/evm';
import { MechanismRegistry, NetworkDirectory, type SchemeMechanism } from '@tollgate/protocol';
import { ExactSvmMechanism, rpcChainReader } from '@tollgate/svm';

/**
 * The scheme mechanisms this facilitator serves, one registration per chain family (see
 * `@tollgate/protocol` mechanism.ts). Verify, settle and `/supported` reach chain-specific code only
 * through the {@link MechanismRegistry} built here.
 */
export const mechanismRegistryProvider: Provider = {
  provide: MechanismRegistry,
  inject: [TOLLGATE_CONFIG, ExactEvmVerifier, NetworkDirectory],
  useFactory: (config: TollgateConfig, verifier: ExactEvmVerifier, directory: NetworkDirectory): MechanismRegistry => {
    const mechanisms: SchemeMechanism[] = [new ExactEvmMechanism(verifier, config.networks, directory.networks, { simulate: config.verifySimulation })];
    // Registered only when configured: an idle mechanism would still show up in `/supported` signers.
    const solana = config.solanaNetworks ?? [];
    if (solana.length > 0) {
      const networks = solana.map((n) => ({ network: n.network, reader: rpcChainReader(n.rpcUrl), assets: n.assets.map((a) => a.address), feePayers: n.feePayers }));
      mechanisms.push(new ExactSvmMechanism(networks, directory.networks));
    }
    return new MechanismRegistry(mechanisms);
  },
};
