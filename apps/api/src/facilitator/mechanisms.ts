import { Provider } from '@nestjs/common';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ExactEvmMechanism, ExactEvmVerifier } from '@tollgate/evm';
import { MechanismRegistry, NetworkDirectory } from '@tollgate/protocol';

/**
 * The scheme mechanisms this facilitator serves, one registration per chain family (see
 * `@tollgate/protocol` mechanism.ts). Verify, settle and `/supported` reach chain-specific code only
 * through the {@link MechanismRegistry} built here.
 */
export const mechanismRegistryProvider: Provider = {
  provide: MechanismRegistry,
  inject: [TOLLGATE_CONFIG, ExactEvmVerifier, NetworkDirectory],
  useFactory: (config: TollgateConfig, verifier: ExactEvmVerifier, directory: NetworkDirectory): MechanismRegistry =>
    new MechanismRegistry([new ExactEvmMechanism(verifier, config.networks, directory.networks, { simulate: config.verifySimulation })]),
};
