/**
 * The servers `npm run bench:floor` measures (bench/floor.ts), one per process:
 *
 *   node -r ts-node/register/transpile-only bench/floor-server.ts <node-http|nest-express|nest-fastify> <port>
 *
 * Each answers `POST /verify` with a fixed valid-looking answer after parsing the JSON body and checking one
 * field: no verification, no Postgres, no RPC. What it costs per request is the floor the HTTP stack sets under
 * Tollgate's `/verify`, which does all of those on top. Prints `LISTENING` when ready.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import { BadRequestException, Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** Server kinds, in the order the floor bench runs them. */
export const FLOOR_SERVERS = ['node-http', 'nest-express', 'nest-fastify'] as const;
type FloorServer = (typeof FLOOR_SERVERS)[number];

const ANSWER = { isValid: true, payer: '0x1111111111111111111111111111111111111111' };

@Controller()
class FloorController {
  @Post('verify')
  @HttpCode(200)
  verify(@Body() body: { paymentPayload?: unknown }): typeof ANSWER {
    if (!body?.paymentPayload) throw new BadRequestException('paymentPayload is required');
    return ANSWER;
  }
}

@Module({ controllers: [FloorController] })
class FloorModule {}

async function main(kind: FloorServer, port: number): Promise<void> {
  if (kind === 'node-http') {
    const answer = JSON.stringify(ANSWER);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let ok = false;
        try {
          ok = Boolean((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { paymentPayload?: unknown }).paymentPayload);
        } catch {
          ok = false;
        }
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json; charset=utf-8' });
        res.end(ok ? answer : '{"error":"paymentPayload is required"}');
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  } else {
    const app =
      kind === 'nest-fastify'
        ? await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(FloorModule, { logger: false });
    await app.listen(port, '127.0.0.1');
  }
  process.stdout.write('LISTENING\n');
}

if (require.main === module) {
  const [kind, port] = process.argv.slice(2);
  if (!(FLOOR_SERVERS as readonly string[]).includes(kind) || !Number(port)) {
    process.stderr.write(`usage: floor-server.ts <${FLOOR_SERVERS.join('|')}> <port>\n`);
    process.exit(64);
  }
  void main(kind as FloorServer, Number(port));
}
