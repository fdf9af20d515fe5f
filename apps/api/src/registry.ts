import { TollgateConfig } from '@tollgate/config';
import { registerAsset } from '@tollgate/protocol';

/** Makes configured tokens (e.g. the devchain's) known to the protocol registry. */
export function registerConfiguredAssets(config: TollgateConfig): void {
  for (const n of config.networks) {
    for (const a of n.assets) {
      registerAsset({ network: n.network, address: a.address, name: a.name, version: a.version, decimals: a.decimals, symbol: a.symbol });
    }
  }
}
