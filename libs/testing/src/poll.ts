/**
 * The one poll-with-deadline helper of the test suite: calls `probe` every 50 ms until it returns something
 * truthy, or throws after `timeoutMs` naming `what` and, if given, `explain()` (the state that was seen).
 * Tests wait for what they caused with this, never with a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  explain?: () => string | Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `: ${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
