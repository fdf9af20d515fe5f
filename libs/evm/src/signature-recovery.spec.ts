import fc from 'fast-check';
import { keccak256, serializeSignature, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { jsRecovery, nativeRecovery } from './signature-recovery';

const native = nativeRecovery();

describe('signature recovery', () => {
  it('the native binding loads on this machine (the fast path CI measures)', () => {
    expect(native?.kind).toBe('native');
  });

  it('native and pure-JS recovery agree on valid and corrupted signatures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0)),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: 64 }),
        fc.boolean(),
        async (key, msg, flipByte, corrupt) => {
          let account;
          try {
            account = privateKeyToAccount(toHex(key));
          } catch {
            return true; // key outside the curve order
          }
          const digest = keccak256(msg);
          let sig = await account.sign({ hash: digest });
          if (corrupt) {
            const bytes = Buffer.from(sig.slice(2), 'hex');
            bytes[flipByte] ^= 0x5a;
            sig = `0x${bytes.toString('hex')}`;
          }
          const [a, b] = await Promise.all([native!.recover(digest, sig), jsRecovery.recover(digest, sig)]);
          if (a !== b) return false;
          return corrupt || a === account.address;
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });

  it('refuses malleable high-s signatures and bad v like USDC', async () => {
    const account = privateKeyToAccount(`0x${'42'.repeat(32)}`);
    const digest = keccak256('0x1234');
    const sig = await account.sign({ hash: digest });
    const r = BigInt(sig.slice(0, 66));
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const v = parseInt(sig.slice(130), 16);
    const high = serializeSignature({ r: toHex(r, { size: 32 }), s: toHex(n - s, { size: 32 }), v: BigInt(v === 27 ? 28 : 27) });
    for (const impl of [native!, jsRecovery]) {
      expect(await impl.recover(digest, high)).toBeNull();
      expect(await impl.recover(digest, `${sig.slice(0, 130)}1d` as `0x${string}`)).toBeNull();
      expect(await impl.recover(digest, sig)).toBe(account.address);
    }
  });
});
