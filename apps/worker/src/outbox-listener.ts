import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';

/** Channel the `webhook_deliveries` trigger notifies on (migration 1763810000000). */
export const WEBHOOK_OUTBOX_CHANNEL = 'tollgate_webhook_outbox';

/** Pause before reconnecting a lost LISTEN connection (ms). */
const RECONNECT_MS = 1_000;

/**
 * Holds one Postgres connection in `LISTEN tollgate_webhook_outbox` and calls `onNotify` for every
 * notification — new deliveries were committed — and after every (re)connect, since notifications sent
 * while it was away are lost. A lost connection is re-opened every second until {@link stop}; the relay's
 * periodic pass covers the gap. Never throws. A provider of `WorkerModule` (listening from
 * `onApplicationBootstrap` to `onModuleDestroy`); the webhook worker run alone opens its own.
 */
export class OutboxListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxListener');
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly onNotify: () => void,
  ) {}

  start(): void {
    void this.connect();
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'tollgate-webhooks-listen' });
    client.on('notification', () => this.onNotify());
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_OUTBOX_CHANNEL}`);
      this.client = client;
      this.onNotify();
    } catch (e) {
      this.lost(client, e as Error);
    }
  }

  private lost(client: Client, e?: Error): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped || this.retry) return;
    if (e) this.logger.warn(`outbox LISTEN connection lost (${e.message}); reconnecting`);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, RECONNECT_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
