import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import cookieParser from 'cookie-parser';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { TollgateConfig } from '@tollgate/config';
import { AppModule } from './app.module';
import { HttpErrorFilter } from './common/http-exception.filter';
import { inputGuard } from './common/input-guard';
import { requireJsonContentType } from './common/json-content-type';
import { buildOpenApiDocument } from './openapi/document';
import { securityHeaders } from './common/security-headers';
import { httpAutoLogging, requestContext } from './common/request-context';

/** Largest JSON request body (64 KiB). */
const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the API app (not listening). Used by `main.ts`, the tests and the demo.
 * @param opts.shutdownHooks default true: Nest closes the app on SIGINT/SIGTERM and then re-raises the
 *   signal. A host that runs the API beside other things and owns shutdown itself (the demo) passes false.
 */
export async function createApiApp(config: TollgateConfig, opts: { shutdownHooks?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  // Request id and per-request log context, unless pino-http does it (see app.module.ts).
  if (!httpAutoLogging(config.logLevel)) app.use(requestContext);
  // First, so every answer carries them — refusals and errors included.
  app.use(securityHeaders());
  // Before the parsers: a JSON body sent as a form (curl -d without a content-type) is named as such (415).
  app.use(requireJsonContentType);
  // x402 bodies are small; anything large is abuse.
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
  // The operator console posts HTML forms and authenticates with cookies (see admin/); nothing else reads them.
  app.useBodyParser('urlencoded', { extended: false, limit: '16kb' });
  // Depth and NUL limits before any guard, hash or schema sees the input (see common/input-guard.ts).
  app.use(inputGuard);
  app.use('/admin', cookieParser());
  app.useGlobalFilters(new HttpErrorFilter());
  if (opts.shutdownHooks ?? true) app.enableShutdownHooks();
  app.disable('x-powered-by');
  // Client addresses (sign-in throttle, public rate limit) come from X-Forwarded-For only through trusted proxies.
  if (config.api.trustProxy !== null) app.set('trust proxy', config.api.trustProxy);
  // Generated from the zod schemas that validate the requests (see openapi/document.ts).
  const { document: doc } = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, doc);
  return app;
}
