import { resolve } from 'node:path';
import { DevchainConfigError, parseDevchainConfig } from './devchain-config';

describe('parseDevchainConfig', () => {
  it('applies defaults, treating empty strings as unset', () => {
    expect(parseDevchainConfig({ DEVCHAIN_PORT: '', DEVCHAIN_BLOCK_TIME: '' })).toEqual({
      port: 8545,
      chainId: 31337,
      blockTimeSeconds: undefined,
      file: resolve('.devchain/deployment.json'),
      tokenName: 'USD Coin',
      tokenVersion: '2',
      payers: 10,
      host: '127.0.0.1',
      publicRpcUrl: undefined,
      svmPort: 8899,
    });
  });

  it('lets a container bind all interfaces and advertise its service URL', () => {
    expect(parseDevchainConfig({ DEVCHAIN_HOST: '0.0.0.0', DEVCHAIN_PUBLIC_RPC_URL: 'http://devchain:8545' })).toMatchObject({
      host: '0.0.0.0',
      publicRpcUrl: 'http://devchain:8545',
    });
    expect(() => parseDevchainConfig({ DEVCHAIN_PUBLIC_RPC_URL: 'devchain:8545' })).toThrow(/DEVCHAIN_PUBLIC_RPC_URL/);
  });

  it('parses explicit values', () => {
    const config = parseDevchainConfig({
      DEVCHAIN_PORT: '9545',
      DEVCHAIN_CHAIN_ID: '84532',
      DEVCHAIN_BLOCK_TIME: '0.5',
      DEVCHAIN_FILE: '/tmp/x.json',
      DEVCHAIN_TOKEN_NAME: 'USDC',
      DEVCHAIN_TOKEN_VERSION: '1',
      DEVCHAIN_PAYERS: '0',
    });
    expect(config).toMatchObject({ port: 9545, chainId: 84532, blockTimeSeconds: 0.5, file: '/tmp/x.json', payers: 0 });
  });

  it.each([
    ['DEVCHAIN_PORT', '70000'],
    ['DEVCHAIN_PORT', 'abc'],
    ['DEVCHAIN_CHAIN_ID', '0'],
    ['DEVCHAIN_BLOCK_TIME', '0'],
    ['DEVCHAIN_BLOCK_TIME', 'fast'],
    ['DEVCHAIN_PAYERS', '101'],
  ])('rejects %s=%s with a message naming the variable', (variable, value) => {
    let caught: unknown;
    try {
      parseDevchainConfig({ [variable]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DevchainConfigError);
    expect((caught as DevchainConfigError).variable).toBe(variable);
    expect((caught as Error).message).toMatch(new RegExp(`^Invalid ${variable}: .+ \\(got "${value}"\\)$`));
  });
});
