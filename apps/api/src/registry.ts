import { TollgateConfig } from '@tollgate/config';
import { NetworkDirectory, SOLANA_NETWORKS } from '@tollgate/protocol';

/**
 * The directory of served networks and tokens, from configuration alone: every configured network (the
 * devchain under whatever chain id it was started with, and each of `NETWORKS`) and its tokens; nothing
 * that is not configured. The request parser, `/supported` and the acceptance checks read it.
 * @throws ProtocolError on an inconsistent network or token entry (a configuration bug).
 */
export function networkDirectoryFor(config: TollgateConfig): NetworkDirectory {
  const directory = new NetworkDirectory(config.networks.map((n) => ({ network: n.network, chainId: n.chainId, assets: n.assets })));
  // Solana networks carry their v1 names (`solana-devnet`); their mints are checked by the lane, not the EVM asset registry.
  for (const s of config.solanaNetworks ?? []) {
    const entry = SOLANA_NETWORKS.find((n) => n.network === s.network);
    if (entry) directory.networks.register(entry);
  }
  return directory;
}
