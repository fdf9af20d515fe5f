import { Inject, Injectable } from '@nestjs/common';
import { privateKeyToAddress } from 'viem/accounts';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { NetworkDirectory, type SupportedResponse } from '@tollgate/protocol';

/**
 * `GET /supported`: one kind per served network and protocol version (v1 under its legacy network
 * name where one exists), the extensions Tollgate honours, and the relayer addresses that will submit.
 */
@Injectable()
export class SupportedService {
  private readonly answer: SupportedResponse;

  constructor(@Inject(TOLLGATE_CONFIG) config: TollgateConfig, directory: NetworkDirectory) {
    const kinds: SupportedResponse['kinds'] = [];
    const signers = new Set<string>();
    for (const n of config.networks) {
      kinds.push({ x402Version: 2, scheme: 'exact', network: n.network });
      const v1 = directory.networks.v1NameOf(n.network);
      if (v1) kinds.push({ x402Version: 1, scheme: 'exact', network: v1 });
      n.relayerPrivateKeys.forEach((k) => signers.add(privateKeyToAddress(k)));
    }
    this.answer = { kinds, extensions: ['payment-identifier'], signers: { 'eip155:*': [...signers] } };
  }

  supported(): SupportedResponse {
    return this.answer;
  }
}
