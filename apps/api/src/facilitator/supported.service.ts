import { Inject, Injectable, Logger } from '@nestjs/common';
import { FacilitatorReads } from '@tollgate/persistence';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { MechanismRegistry, NetworkDirectory, type SupportedResponse } from '@tollgate/protocol';

/** The relayer list is read from Postgres at most this often (it changes when a worker starts with other keys). */
const SIGNERS_TTL_MS = 5_000;

/**
 * `GET /supported`: the kinds each served network's mechanism advertises (v2 under CAIP-2, v1 under its
 * legacy network name where one exists), the extensions Tollgate honours, and per chain family the
 * addresses that will submit (`signers["eip155:*"]`: the relayers).
 * The API holds no relayer keys: the addresses are the ones the worker registered in `relayers` for the
 * served networks (empty until a worker has started).
 */
@Injectable()
export class SupportedService {
  private readonly logger = new Logger('Supported');
  /** Signer addresses (display form) by network, as the worker registered them. */
  private signers = new Map<string, string[]>();
  private signersAt = 0;
  private reading?: Promise<void>;

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly directory: NetworkDirectory,
    private readonly mechanisms: MechanismRegistry,
    private readonly reads: FacilitatorReads,
  ) {}

  /** The answer; the signers are at most {@link SIGNERS_TTL_MS} old (an empty list is re-read every time). */
  async supported(): Promise<SupportedResponse> {
    if (this.signers.size === 0 || Date.now() - this.signersAt > SIGNERS_TTL_MS) {
      // One read in flight per process, however many requests arrive meanwhile.
      this.reading ??= this.readSigners().finally(() => (this.reading = undefined));
      await this.reading;
    }
    const kinds: SupportedResponse['kinds'] = [];
    const signers: SupportedResponse['signers'] = {};
    for (const m of this.mechanisms.list()) signers[m.signerPattern] = [];
    for (const n of this.config.networks) {
      const m = this.mechanisms.get('exact', n.network);
      const own = this.signers.get(n.network) ?? [];
      kinds.push(...m.supportedKinds(n.network, this.directory.networks.v1NameOf(n.network), own));
      const listed = signers[m.signerPattern];
      for (const a of own) if (!listed.includes(a)) listed.push(a);
    }
    // Solana fee payers are configured addresses (the keys stay with the workers), not `relayers` rows.
    for (const n of this.config.solanaNetworks ?? []) {
      const m = this.mechanisms.get('exact', n.network);
      kinds.push(...m.supportedKinds(n.network, this.directory.networks.v1NameOf(n.network), n.feePayers));
      const listed = signers[m.signerPattern];
      for (const a of n.feePayers) if (!listed.includes(a)) listed.push(a);
    }
    return { kinds, extensions: ['payment-identifier'], signers };
  }

  private async readSigners(): Promise<void> {
    try {
      const rows = await this.reads.signersOf(this.config.networks.map((n) => n.network));
      const signers = new Map<string, string[]>();
      for (const r of rows) {
        const list = signers.get(r.network) ?? [];
        list.push(this.mechanisms.get('exact', r.network).displayAddress(r.address));
        signers.set(r.network, list);
      }
      this.signers = signers;
      this.signersAt = Date.now();
    } catch (e) {
      // Keep the last known list: /supported must answer while Postgres blips.
      this.logger.warn(`reading relayers failed: ${(e as Error).message}`);
    }
  }
}
