import { Address, Hex, PublicClient } from 'viem';
import { eip3009Abi } from './abis';

/** Blocks per eth_getLogs request: within what public providers accept (often 2,000-10,000). */
export const LOG_WINDOW_BLOCKS = 2_000n;
/** How far back from the head an authorization's `AuthorizationUsed` / `AuthorizationCanceled` is looked for. */
export const LOG_LOOKBACK_BLOCKS = 10_000n;

/**
 * The latest `eventName` log (EIP-3009) for `(authorizer, nonce)` on `token` within the
 * {@link LOG_LOOKBACK_BLOCKS} blocks up to `head`, searched backwards in windows of {@link LOG_WINDOW_BLOCKS}
 * that public providers accept (a search from `earliest` is refused by most). Tollgate asks about
 * authorizations it saw unused moments ago, or that a payer presents now, so what used or cancelled them
 * is recent: older events are not found (the caller then knows only that the nonce is spent). `range`
 * overrides the window and look-back (tests use small ones).
 * @returns the log, or null when none is within reach.
 * @throws when the node fails a lookup.
 */
export async function recentAuthorizationEvent(
  client: Pick<PublicClient, 'getContractEvents'>,
  token: Address,
  eventName: 'AuthorizationUsed' | 'AuthorizationCanceled',
  authorizer: Address,
  nonce: Hex,
  head: bigint,
  range: { windowBlocks: bigint; lookbackBlocks: bigint } = { windowBlocks: LOG_WINDOW_BLOCKS, lookbackBlocks: LOG_LOOKBACK_BLOCKS },
) {
  const { windowBlocks, lookbackBlocks } = range;
  const floor = head > lookbackBlocks ? head - lookbackBlocks : 0n;
  for (let to = head; to >= floor; to -= windowBlocks) {
    const from = to - windowBlocks + 1n > floor ? to - windowBlocks + 1n : floor;
    const logs = await client.getContractEvents({ address: token, abi: eip3009Abi, eventName, args: { authorizer, nonce }, fromBlock: from, toBlock: to });
    if (logs.length) return logs[logs.length - 1];
    if (from === floor) break;
  }
  return null;
}
