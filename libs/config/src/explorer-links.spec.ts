import { explorerSettings, explorerTxUrl } from './explorer-links';
import type { NetworkConfig } from './network-config';

const FEE_PAYER = '3Ne1rtTyZVWCkUss8w8hzaey7KGBNRn2aE9XZL2s4Abj';
const evm = (chainId: number, local = false) => ({ network: `eip155:${chainId}`, chainId, local }) as unknown as NetworkConfig;
const devnet = (rpc: string) => ({ SOLANA_NETWORKS: 'solana-devnet', SOLANA_RPC_URL_SOLANA_DEVNET: rpc, SOLANA_FEE_PAYERS_SOLANA_DEVNET: FEE_PAYER });

describe('explorer links (EXPLORER_TX_URL_<K>)', () => {
  it('links public networks to their usual explorer and local chains to none', () => {
    const { explorers } = explorerSettings(devnet('https://api.devnet.solana.com'), [evm(84532), evm(31337, true)]);
    expect(explorers).toEqual({
      'eip155:84532': 'https://sepolia.basescan.org/tx/{tx}',
      'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1': 'https://explorer.solana.com/tx/{tx}?cluster=devnet',
    });
    expect(explorerTxUrl(explorers, 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', '5abc')).toBe('https://explorer.solana.com/tx/5abc?cluster=devnet');
    expect(explorerTxUrl(explorers, 'eip155:31337', '0x12')).toBeNull();
  });

  it('never links the devnet explorer for a Solana devchain on a loopback RPC, unless configured', () => {
    expect(explorerSettings(devnet('http://127.0.0.1:8899'), []).explorers).toEqual({});
    const own = { ...devnet('http://localhost:8899'), EXPLORER_TX_URL_SOLANA_DEVNET: 'http://127.0.0.1:3000/tx/{tx}?cluster=custom' };
    expect(explorerSettings(own, []).explorers).toEqual({ 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1': 'http://127.0.0.1:3000/tx/{tx}?cluster=custom' });
  });

  it('turns a default off with none, and refuses a template without {tx}', () => {
    expect(explorerSettings({ EXPLORER_TX_URL_84532: 'none' }, [evm(84532)]).explorers).toEqual({});
    expect(() => explorerSettings({ EXPLORER_TX_URL_8453: 'https://basescan.org/tx/' }, [evm(8453)])).toThrow(/EXPLORER_TX_URL_8453/);
  });
});
