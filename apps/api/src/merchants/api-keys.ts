import { createHash, randomBytes } from 'node:crypto';

/** Visible, non-secret start of every merchant key; helps humans and secret scanners recognise it. */
export const API_KEY_PREFIX = 'tg_';

/**
 * A new merchant API key: 32 random bytes, base64url. Only `hash` is stored; `secret` is shown once.
 * SHA-256 suffices (no password hashing) because the secret is high-entropy random, not a human choice.
 */
export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, 10), hash: hashApiKey(secret) };
}

/** Hex SHA-256 of an API key secret. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
