import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { consoleDataSource } from '@tollgate/persistence';

/**
 * Nest providers for libs/persistence repositories, each built on the API's DataSource (the libraries
 * carry no Nest decorators). Repositories hold no state, so a module may provide its own instance.
 */
export function repositoryProviders(...types: Array<new (dataSource: DataSource) => unknown>): Provider[] {
  return types.map((type) => ({ provide: type, inject: [DataSource], useFactory: (dataSource: DataSource) => new type(dataSource) }));
}

/**
 * Providers of the console's read repositories, each on the API's DataSource bounded by
 * ADMIN_STATEMENT_TIMEOUT_MS (see `consoleDataSource`): a slow console read is cancelled, not queued
 * behind verify and settle.
 */
export function consoleRepositoryProviders(...types: Array<new (dataSource: DataSource) => unknown>): Provider[] {
  return types.map((type) => ({
    provide: type,
    inject: [DataSource, TOLLGATE_CONFIG],
    useFactory: (dataSource: DataSource, config: TollgateConfig) => new type(consoleDataSource(dataSource, config.admin.statementTimeoutMs)),
  }));
}
