import pino from 'pino';
import { PassThrough } from 'node:stream';
import { logDestination } from './log-destination';

/** What a person running `npm run start:api` / `start:worker` reads, and what production log shippers parse. */
describe('logDestination', () => {
  const capture = () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    return { out, text: () => text };
  };

  it('NODE_ENV=development: readable lines (time, level, [context] message), secrets still redacted', () => {
    const { out, text } = capture();
    const dest = logDestination({ env: 'development' }, out);
    expect(dest).toBeDefined();
    const log = pino({ redact: { paths: ['secret'], censor: '[redacted]' } }, dest!);
    log.info({ context: 'worker', secret: 's3cr3t' }, 'settlement worker started');
    const line = text().trim();
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[worker\] settlement worker started/);
    expect(() => JSON.parse(line)).toThrow();
    expect(line).not.toContain('s3cr3t');
  });

  it.each(['production', 'test'] as const)('NODE_ENV=%s: pino’s default JSON lines on stdout', (env) => {
    expect(logDestination({ env })).toBeUndefined();
  });
});
