import { ProtocolError } from './errors';
import {
  chainIdOf,
  DEFAULT_NETWORKS,
  getNetwork,
  listNetworks,
  NetworkRegistry,
  registerNetwork,
  SOLANA_NETWORKS,
  sameNetwork,
  toCaip2,
  v1NameOf,
  wireNetwork,
} from './networks';

describe('default network registry', () => {
  it('holds Base, Base Sepolia and the local anvil chain', () => {
    expect(listNetworks().map((n) => [n.network, n.chainId, n.v1Name])).toEqual([
      ['eip155:8453', 8453, 'base'],
      ['eip155:84532', 84532, 'base-sepolia'],
      ['eip155:31337', 31337, 'anvil'],
    ]);
  });

  it.each([
    ['base', 'eip155:8453'],
    ['base-sepolia', 'eip155:84532'],
    ['anvil', 'eip155:31337'],
    ['eip155:8453', 'eip155:8453'],
    ['eip155:1', 'eip155:1'], // well-formed but unregistered: mapped, not served
    ['eip155:9007199254740991', 'eip155:9007199254740991'],
    // Solana ids are well-formed CAIP-2 too (mapped, served only when configured); `solana` is no v1 name here.
    ['solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp'],
  ])('toCaip2(%p) = %p', (input, expected) => {
    expect(toCaip2(input)).toBe(expected);
  });

  it.each(['', 'Base', 'polygon', 'eip155:', 'eip155:0', 'eip155:08453', 'EIP155:8453', 'eip155:8453 ', 'eip155:-1', 'eip155:1.5', 'eip155:99999999999999999', 'solana', 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp0', 'constructor', '__proto__'])(
    'toCaip2(%p) is undefined',
    (input) => {
      expect(toCaip2(input)).toBeUndefined();
    },
  );

  it('registers Solana networks without a chain id, with their v1 names', () => {
    const r = new NetworkRegistry(SOLANA_NETWORKS);
    expect(r.toCaip2('solana-devnet')).toBe('solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1');
    expect(r.v1NameOf('solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp')).toBe('solana');
    expect(() => r.register({ network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', chainId: 1, displayName: 'x' })).toThrow(/does not match/);
    expect(() => r.register({ network: 'solana:short', displayName: 'x' })).toThrow(/does not match/);
  });

  it('answers v1 names and chain ids', () => {
    expect(v1NameOf('eip155:84532')).toBe('base-sepolia');
    expect(v1NameOf('eip155:1')).toBeUndefined();
    expect(chainIdOf('eip155:84532')).toBe(84532);
    expect(chainIdOf('eip155:1')).toBe(1);
    expect(chainIdOf('base')).toBeUndefined();
    expect(getNetwork('base')?.displayName).toBe('Base');
    expect(getNetwork('eip155:1')).toBeUndefined();
  });

  it('gives the wire network for each version and compares across notations', () => {
    expect(wireNetwork('eip155:8453', 1)).toBe('base');
    expect(wireNetwork('eip155:8453', 2)).toBe('eip155:8453');
    expect(wireNetwork('eip155:1', 1)).toBe('eip155:1');
    expect(sameNetwork('base', 'eip155:8453')).toBe(true);
    expect(sameNetwork('base', 'base-sepolia')).toBe(false);
    expect(sameNetwork('polygon', 'eip155:137')).toBe(false);
    expect(sameNetwork('whatever', 'whatever')).toBe(true);
  });

  it('is extendable through registerNetwork', () => {
    registerNetwork({ network: 'eip155:1337', chainId: 1337, v1Name: 'geth-dev', displayName: 'Geth dev' });
    expect(toCaip2('geth-dev')).toBe('eip155:1337');
    expect(getNetwork('eip155:1337')?.displayName).toBe('Geth dev');
  });
});

describe('NetworkRegistry.register', () => {
  it('keeps the existing mapping when a known chain id is registered again (anvil as 84532)', () => {
    const r = new NetworkRegistry();
    const effective = r.register({ network: 'eip155:84532', chainId: 84532, v1Name: 'local', displayName: 'Local anvil as Base Sepolia' });
    expect(effective).toMatchObject({ network: 'eip155:84532', v1Name: 'base-sepolia', displayName: 'Base Sepolia', v1Aliases: ['local'] });
    expect(r.toCaip2('base-sepolia')).toBe('eip155:84532');
    expect(r.toCaip2('local')).toBe('eip155:84532');
    expect(r.v1NameOf('eip155:84532')).toBe('base-sepolia');
    expect(r.list()).toHaveLength(DEFAULT_NETWORKS.length);
  });

  it('is idempotent for an identical entry', () => {
    const r = new NetworkRegistry();
    for (const e of DEFAULT_NETWORKS) r.register(e);
    expect(r.list()).toEqual(DEFAULT_NETWORKS);
  });

  it('gives a nameless known chain a v1 name on a later registration', () => {
    const r = new NetworkRegistry([{ network: 'eip155:10', chainId: 10, displayName: 'OP' }]);
    expect(r.v1NameOf('eip155:10')).toBeUndefined();
    r.register({ network: 'eip155:10', chainId: 10, v1Name: 'optimism', displayName: 'Optimism' });
    expect(r.v1NameOf('eip155:10')).toBe('optimism');
    expect(r.get('optimism')?.displayName).toBe('OP');
  });

  it.each([
    ['network and chainId disagree', { network: 'eip155:1' as const, chainId: 2, displayName: 'x' }],
    ['network not CAIP-2', { network: 'base' as `eip155:${number}`, chainId: 8453, displayName: 'x' }],
    ['v1 name owned by another chain', { network: 'eip155:1' as const, chainId: 1, v1Name: 'base', displayName: 'x' }],
    ['v1 name with a colon', { network: 'eip155:1' as const, chainId: 1, v1Name: 'eip155:1', displayName: 'x' }],
    ['v1 name upper-case', { network: 'eip155:1' as const, chainId: 1, v1Name: 'Mainnet', displayName: 'x' }],
  ])('throws on %s and leaves the registry unchanged', (_label, entry) => {
    const r = new NetworkRegistry();
    expect(() => r.register(entry)).toThrow(ProtocolError);
    expect(r.list()).toEqual(DEFAULT_NETWORKS);
    expect(r.toCaip2('base')).toBe('eip155:8453');
  });

  it('returns frozen entries', () => {
    const r = new NetworkRegistry();
    expect(Object.isFrozen(r.get('base'))).toBe(true);
  });
});
