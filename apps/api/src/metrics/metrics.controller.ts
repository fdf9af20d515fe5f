import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiMetrics } from './api-metrics';

/**
 * `GET /metrics` in the Prometheus text format. Unauthenticated like `/health` (it carries no secrets:
 * counts, ages, addresses of relayers); keep it on the internal network.
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ApiMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics of the API process and of the settlement state' })
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
