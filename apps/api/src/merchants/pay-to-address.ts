/** Base58 alphabet (Bitcoin's, as Solana uses): no 0, O, I or l. */
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * The stored form of a payTo address, or null when it is none of the chain families Tollgate knows:
 * EVM `0x` + 40 hex (stored lower-case, shown EIP-55 checksummed), or a Solana address — the base58 text of a
 * 32-byte ed25519 public key, case-significant, so kept exactly as given. Whether a Solana key lies on the
 * curve is not checked: program-derived addresses (valid payTo token owners) do not.
 */
export function canonicalPayTo(address: string): string | null {
  if (/^0x[0-9a-fA-F]{40}$/.test(address)) return address.toLowerCase();
  if (/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(address) && base58Length(address) === 32) return address;
  return null;
}

/** What {@link canonicalPayTo} accepts, for error messages. */
export const PAY_TO_FORMATS = 'an EVM address (0x + 40 hex) or a Solana address (base58 of 32 bytes)';

/** Decoded byte length of a base58 string (leading '1's are zero bytes). */
function base58Length(s: string): number {
  let n = 0n;
  for (const ch of s) n = n * 58n + BigInt(BASE58.indexOf(ch));
  const zeros = /^1*/.exec(s)![0].length;
  return zeros + (n === 0n ? 0 : Math.ceil(n.toString(16).length / 2));
}
