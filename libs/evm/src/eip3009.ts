import { Address, Hex, hashTypedData, TypedDataDomain } from 'viem';

/** EIP-3009 `TransferWithAuthorization` typed-data types (EIP-712 struct, field order matters). */
export const TRANSFER_WITH_AUTHORIZATION_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

/** The signed fields of an EIP-3009 authorization. Amount in atomic units; times in unix seconds. */
export interface Eip3009Authorization {
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
}

/** EIP-712 domain of an EIP-3009 token: `{name, version, chainId, verifyingContract: asset}`. */
export function tokenDomain(args: { name: string; version: string; chainId: number; asset: Address }): TypedDataDomain {
  return { name: args.name, version: args.version, chainId: args.chainId, verifyingContract: args.asset };
}

/** Typed data for `TransferWithAuthorization`, ready for viem's sign/verify/recover functions. */
export function transferAuthorizationTypedData(domain: TypedDataDomain, authorization: Eip3009Authorization) {
  return {
    domain,
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization' as const,
    message: authorization,
  };
}

/** EIP-712 digest the payer signed (what an ERC-1271 wallet is asked about). */
export function transferAuthorizationDigest(domain: TypedDataDomain, authorization: Eip3009Authorization): Hex {
  return hashTypedData(transferAuthorizationTypedData(domain, authorization));
}
