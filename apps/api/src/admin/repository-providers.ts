import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Nest providers for libs/persistence repositories, each built on the API's DataSource (the libraries
 * carry no Nest decorators). Repositories hold no state, so a module may provide its own instance.
 */
export function repositoryProviders(...types: Array<new (dataSource: DataSource) => unknown>): Provider[] {
  return types.map((type) => ({ provide: type, inject: [DataSource], useFactory: (dataSource: DataSource) => new type(dataSource) }));
}
