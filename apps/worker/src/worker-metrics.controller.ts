import { Controller, Get, Header } from '@nestjs/common';
import { WorkerMetrics } from './worker-metrics';

/** `GET /metrics`: the worker's Prometheus registry, in the text format. Keep it on the internal network. */
@Controller('metrics')
export class WorkerMetricsController {
  constructor(private readonly metrics: WorkerMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
