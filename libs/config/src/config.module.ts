import { DynamicModule, Global, Module } from '@nestjs/common';
import { TollgateConfig } from './config.schema';

/** Injection token for the validated {@link TollgateConfig}. */
export const TOLLGATE_CONFIG = Symbol('TOLLGATE_CONFIG');

/** Makes one validated configuration object available to every module of an app. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: TollgateConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: TOLLGATE_CONFIG, useValue: config }], exports: [TOLLGATE_CONFIG] };
  }
}
