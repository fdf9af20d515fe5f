import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { ConfigModule, logDestination, TollgateConfig } from '@tollgate/config';
import { AdminModule } from './admin/admin.module';
import { CoreModule } from './core.module';
import { FacilitatorModule } from './facilitator/facilitator.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { MerchantApiModule } from './merchant-api/merchant-api.module';
import { logSafeErrorSerializer } from '@tollgate/evm';
import { httpAutoLogging, requestIdOf } from './common/request-context';

/** Root of the HTTP app. Configuration is validated before this module is built. */
@Module({})
export class AppModule {
  static forRoot(config: TollgateConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          // JSON lines; readable lines with NODE_ENV=development (see logDestination).
          pinoHttp: withDestination({
            level: config.logLevel,
            genReqId: requestIdOf,
            // Secrets and signatures never reach the logs.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body', 'res.headers["set-cookie"]'],
            // Errors logged as objects are reduced like the messages (no RPC request body or URL path).
            serializers: { err: logSafeErrorSerializer },
            autoLogging: httpAutoLogging(config.logLevel),
            quietReqLogger: true,
          }, logDestination(config)),
          // Without auto-logging pino-http's per-request work serves no line: bootstrap installs the lean
          // requestContext (same req.id, same reqId on every line a request writes) on all routes instead.
          ...(httpAutoLogging(config.logLevel) ? {} : { forRoutes: [] }),
        }),
        // Only unauthenticated lookups are limited (per client IP, in process memory): facilitator traffic
        // comes from a few resource-server IPs at high rates and is authenticated by merchant key. The name
        // 'default' keeps the standard Retry-After header (named throttlers suffix it).
        ThrottlerModule.forRoot([{ name: 'default', ttl: 60_000, limit: config.api.publicRateLimitPerMinute }]),
        CoreModule,
        HealthModule,
        MetricsModule,
        FacilitatorModule,
        MerchantApiModule,
        AdminModule,
      ],
    };
  }
}

/** nestjs-pino takes `[options, stream]` for a custom destination, the options alone for stdout. */
function withDestination<T>(options: T, destination: DestinationStream | undefined): T | [T, DestinationStream] {
  return destination ? [options, destination] : options;
}
