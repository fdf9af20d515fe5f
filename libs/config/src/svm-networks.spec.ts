import { loadSolanaNetworks, solanaSettings } from './svm-networks';

const FEE_PAYER = '3Ne1rtTyZVWCkUss8w8hzaey7KGBNRn2aE9XZL2s4Abj';
const MINT = '5LoJqY2wRjEV2BjZw5t4JLat1ERnpZrVmjoreecvoCjo';

describe('Solana networks configuration', () => {
  it('serves nothing on Solana unless SOLANA_NETWORKS names a network (configs stay as before)', () => {
    expect(loadSolanaNetworks({})).toEqual([]);
    expect(solanaSettings({})).toEqual({});
  });

  it('reads a devnet entry by v1 name with its RPC, fee payers, mints and window', () => {
    const env = {
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: 'http://127.0.0.1:8899',
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER,
      SOLANA_MINTS_SOLANA_DEVNET: `${MINT}:6:USDC`,
      SOLANA_SETTLEMENT_WINDOW_SECONDS_SOLANA_DEVNET: '15',
    };
    expect(loadSolanaNetworks(env)).toEqual([
      {
        network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
        v1Name: 'solana-devnet',
        rpcUrl: 'http://127.0.0.1:8899',
        assets: [{ address: MINT, decimals: 6, symbol: 'USDC' }],
        feePayers: [FEE_PAYER],
        settlementWindowSeconds: 15,
        feePayerMinLamports: '10000000',
      },
    ]);
  });

  it('defaults to the network USDC and a 20 s window; accepts CAIP-2 ids', () => {
    const [n] = loadSolanaNetworks({
      SOLANA_NETWORKS: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
      SOLANA_RPC_URL_SOLANA: 'https://rpc.example.test',
      SOLANA_FEE_PAYERS_SOLANA: FEE_PAYER,
    });
    expect(n).toMatchObject({ v1Name: 'solana', settlementWindowSeconds: 20, feePayerMinLamports: '10000000', assets: [{ address: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', decimals: 6 }] });
  });

  it.each([
    [{ SOLANA_NETWORKS: 'solana-localnet' }, 'SOLANA_NETWORKS'],
    [{ SOLANA_NETWORKS: 'solana-devnet' }, 'SOLANA_RPC_URL_SOLANA_DEVNET'],
    [{ SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test' }, 'SOLANA_FEE_PAYERS_SOLANA_DEVNET'],
    [{ SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_DEVNET: '0xabc' }, 'SOLANA_FEE_PAYERS_SOLANA_DEVNET'],
    [
      { SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER, SOLANA_MINTS_SOLANA_DEVNET: MINT },
      'SOLANA_MINTS_SOLANA_DEVNET',
    ],
    [{ SOLANA_NETWORKS: 'solana-testnet', SOLANA_RPC_URL_SOLANA_TESTNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_TESTNET: FEE_PAYER }, 'SOLANA_MINTS_SOLANA_TESTNET'],
    [
      { SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER, SOLANA_SETTLEMENT_WINDOW_SECONDS_SOLANA_DEVNET: '90' },
      'SOLANA_SETTLEMENT_WINDOW_SECONDS_SOLANA_DEVNET',
    ],
    [
      { SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER, SOLANA_FEE_PAYER_MIN_LAMPORTS_SOLANA_DEVNET: '0.5' },
      'SOLANA_FEE_PAYER_MIN_LAMPORTS_SOLANA_DEVNET',
    ],
    [{ SOLANA_NETWORKS: 'solana-devnet,solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', SOLANA_RPC_URL_SOLANA_DEVNET: 'http://x.test', SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER }, 'SOLANA_NETWORKS'],
  ])('refuses %p naming %s', (env, variable) => {
    expect(() => loadSolanaNetworks(env)).toThrow(new RegExp(`Invalid configuration: ${variable}:`));
  });
});
