/** OpenAPI of the operations endpoints: health checks (health.controller.ts) and Prometheus metrics (metrics.controller.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { json, type RouteDocs } from '../openapi/openapi-kit';

const check = z.record(z.object({ status: z.enum(['up', 'down']) }).passthrough()).describe('per check: status and what it found (or `message` when down)');

/** The Terminus health report. */
export const HealthReportSchema = z
  .object({
    status: z.enum(['ok', 'error', 'shutting_down']),
    info: check.optional().describe('checks that are up'),
    error: check.optional().describe('checks that are down'),
    details: check.describe('every check'),
  })
  .openapi('HealthReport');

const down = (what: string) => json(`${what}; the report names each failing check and why`, HealthReportSchema);

/** Documents `/health`, `/health/ready`, `/health/settlement` and `/metrics`. */
export const operationsDocs: RouteDocs = (r: OpenAPIRegistry) => {
  r.registerPath({ method: 'get', path: '/health', responses: { 200: json('Liveness: the process answers', HealthReportSchema) } });
  r.registerPath({
    method: 'get',
    path: '/health/ready',
    responses: {
      200: json('Ready: postgres, redis, rpc:<network> per served network, relayers (no wedged nonce gap)', HealthReportSchema),
      503: down('Not ready'),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/health/settlement',
    responses: {
      200: json('Settlement progresses: workers (a heartbeat younger than WORKER_STALE_AFTER_SECONDS) and lanes (none stalled)', HealthReportSchema),
      503: down('No live worker or a stalled lane (alert on it; do not route on it)'),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/metrics',
    responses: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } } },
  });
};
