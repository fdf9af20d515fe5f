import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSolanaFeePayerKeys } from './svm-fee-payer-keys';
import type { SolanaNetworkConfig } from './svm-networks';

const KEY = '4'.repeat(88);
const net: SolanaNetworkConfig = {
  network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
  v1Name: 'solana-devnet',
  rpcUrl: 'http://127.0.0.1:8899',
  assets: [],
  feePayers: ['3Ne1TTbqqM4UZUSGh9WvYjWRMZPfpAeAhDNCC8ghxkzf'],
  settlementWindowSeconds: 20,
  feePayerMinLamports: '10000000',
};

describe('loadSolanaFeePayerKeys (worker only)', () => {
  it('reads SOLANA_FEE_PAYER_KEYS_<K> per network', () => {
    expect(loadSolanaFeePayerKeys({ SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: `${KEY}, ${KEY}` }, [net])).toEqual({ [net.network]: [KEY, KEY] });
  });

  it('refuses a network without keys and malformed keys, naming the variable', () => {
    expect(() => loadSolanaFeePayerKeys({ DEVCHAIN_FILE: '/nonexistent' }, [net])).toThrow(/SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET/);
    expect(() => loadSolanaFeePayerKeys({ SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: '0xabc' }, [net])).toThrow(/SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET/);
  });

  it("takes the devchain file's fee-payer keys for the network it serves, and only for it", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'svm-keys-')), 'deployment.json');
    writeFileSync(file, JSON.stringify({ solana: { network: net.network, rpcUrl: net.rpcUrl, feePayers: [{ address: net.feePayers[0], secretKey: KEY }] } }));
    expect(loadSolanaFeePayerKeys({ DEVCHAIN_FILE: file }, [net])).toEqual({ [net.network]: [KEY] });
    expect(() => loadSolanaFeePayerKeys({ DEVCHAIN_FILE: file }, [{ ...net, rpcUrl: 'https://api.devnet.solana.com' }])).toThrow(/SOLANA_FEE_PAYER_KEYS/);
  });
});
