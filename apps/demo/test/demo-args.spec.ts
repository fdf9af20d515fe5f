import { parseDemoArgs } from '../src/main';

describe('npm run demo flags', () => {
  it('pays on both chains unless --network says otherwise', () => {
    expect(parseDemoArgs([])).toMatchObject({ network: 'all', count: 300, concurrency: 20, mode: 'deferred', settleTimeoutSeconds: 120, json: false });
    expect(parseDemoArgs(['--network', 'evm'])).toMatchObject({ network: 'evm' });
    expect(parseDemoArgs(['--network', 'solana', '--mode', 'confirmed'])).toMatchObject({ network: 'solana', mode: 'confirmed' });
  });

  it('names a bad --network value', () => {
    expect(() => parseDemoArgs(['--network', 'base'])).toThrow('--network must be evm, solana or all, got "base"');
  });
});
