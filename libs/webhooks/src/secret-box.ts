import { Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

let warnedDevelopmentKey = false;

/** Raised when a ciphertext is malformed, was made under another key, or was moved to another row. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * AES-256-GCM for webhook signing secrets at rest. Secrets must stay usable for signing, so they cannot be
 * hashed; encrypting them keeps a database dump alone from forging merchants' webhooks.
 *
 * Ciphertext format: `v1.<iv b64url>.<tag b64url>.<ciphertext b64url>`. The associated data binds a
 * ciphertext to its row (`context`, e.g. the endpoint id) so a secret copied onto another endpoint does
 * not decrypt.
 */
export class SecretBox {
  /**
   * @param key 32 bytes (config `WEBHOOK_SECRET_KEY`).
   * @param source `development-default` logs one warning per process: such a key is public.
   */
  constructor(
    private readonly key: Buffer,
    source: 'configured' | 'development-default' = 'configured',
  ) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    if (source === 'development-default' && !warnedDevelopmentKey) {
      warnedDevelopmentKey = true;
      new Logger('SecretBox').warn('WEBHOOK_SECRET_KEY is not set: webhook signing secrets are encrypted under a public development key');
    }
  }

  /** Encrypts `plaintext` for the row identified by `context`. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /**
   * @throws SecretBoxError when the ciphertext is malformed, tampered with, under another key or for
   * another context.
   */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('unrecognised ciphertext format');
    const [, iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('unrecognised ciphertext format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('ciphertext does not authenticate under this key and context');
    }
  }
}
