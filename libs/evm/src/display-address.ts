import { getAddress } from 'viem';

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * An address as people read it in listings, exports and webhooks: EIP-55 checksummed when it is a 20-byte
 * EVM address, otherwise exactly as stored (a Solana base58 address is case-sensitive and already canonical).
 * Never throws, so one chain family's rows cannot break a listing that mixes families.
 */
export function displayAddress(address: string): string {
  return EVM_ADDRESS.test(address) ? getAddress(address) : address;
}
