import * as crypto from 'node:crypto';

/** Visible, non-secret start of every merchant key; helps humans and secret scanners recognise it. */
export const API_KEY_PREFIX = 'tg_';

/**
 * A new merchant API key: 32 random bytes, base64url. Only `hash` is stored; `secret` is shown once.
 * SHA-256 suffices (no password hashing) because the secret is high-entropy random, not a human choice.
 */
export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const secret = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, 10), hash: hashApiKey(secret) };
}

/** node's one-shot digest (20.12+; package.json allows 20.11, which has only Hash objects). */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** Hex SHA-256 of an API key secret (once per authenticated request: the one-shot digest costs a third of a Hash object). */
export function hashApiKey(secret: string): string {
  return oneShot ? oneShot('sha256', secret, 'hex') : crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}
