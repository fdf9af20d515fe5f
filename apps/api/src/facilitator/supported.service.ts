import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { getAddress } from 'viem';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { NetworkDirectory, type SupportedResponse } from '@tollgate/protocol';

/** The relayer list is read from Postgres at most this often (it changes when a worker starts with other keys). */
const SIGNERS_TTL_MS = 5_000;

/**
 * `GET /supported`: one kind per served network and protocol version (v1 under its legacy network
 * name where one exists), the extensions Tollgate honours, and the relayer addresses that will submit.
 * The API holds no relayer keys: the addresses are the ones the worker registered in `relayers` for the
 * served networks (empty until a worker has started).
 */
@Injectable()
export class SupportedService {
  private readonly logger = new Logger('Supported');
  private readonly kinds: SupportedResponse['kinds'] = [];
  private signers: string[] = [];
  private signersAt = 0;
  private reading?: Promise<void>;

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    directory: NetworkDirectory,
    private readonly dataSource: DataSource,
  ) {
    for (const n of config.networks) {
      this.kinds.push({ x402Version: 2, scheme: 'exact', network: n.network });
      const v1 = directory.networks.v1NameOf(n.network);
      if (v1) this.kinds.push({ x402Version: 1, scheme: 'exact', network: v1 });
    }
  }

  /** The answer; the signers are at most {@link SIGNERS_TTL_MS} old (an empty list is re-read every time). */
  async supported(): Promise<SupportedResponse> {
    if (this.signers.length === 0 || Date.now() - this.signersAt > SIGNERS_TTL_MS) {
      // One read in flight per process, however many requests arrive meanwhile.
      this.reading ??= this.readSigners().finally(() => (this.reading = undefined));
      await this.reading;
    }
    return { kinds: this.kinds, extensions: ['payment-identifier'], signers: { 'eip155:*': this.signers } };
  }

  private async readSigners(): Promise<void> {
    try {
      const rows: Array<{ address: string }> = await this.dataSource.query(
        `SELECT address FROM relayers WHERE network = ANY($1) GROUP BY address ORDER BY min(created_at), address`,
        [this.config.networks.map((n) => n.network)],
      );
      this.signers = rows.map((r) => getAddress(r.address));
      this.signersAt = Date.now();
    } catch (e) {
      // Keep the last known list: /supported must answer while Postgres blips.
      this.logger.warn(`reading relayers failed: ${(e as Error).message}`);
    }
  }
}
