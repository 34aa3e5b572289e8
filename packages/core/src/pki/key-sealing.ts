import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DomainError } from '../errors.ts';

/**
 * CA private keys at rest: AES-256-GCM under a key derived (HKDF-SHA256, random salt per
 * record) from the control plane's secret. The record name is the additional authenticated
 * data, so a sealed key copied into another row does not open there.
 * Format: `v1.<salt>.<iv>.<tag>.<ciphertext>`, each base64url.
 */
const VERSION = 'v1';
const INFO = Buffer.from('edgefleet pki key v1');

const deriveKey = (secret: string, salt: Buffer) => Buffer.from(hkdfSync('sha256', secret, salt, INFO, 32));

export function sealKey(secret: string, name: string, keyPem: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  cipher.setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(keyPem, 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function openKey(secret: string, name: string, sealed: string): string {
  const [version, salt, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !salt || !iv || !tag || !body) {
    throw new DomainError('PRECONDITION_FAILED', `The stored ${name} CA key is in an unknown format`);
  }
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(secret, Buffer.from(salt, 'base64url')),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `Cannot decrypt the stored ${name} key: EDGEFLEET_SECRET (or the data dir's secret.key) is not the one the fleet PKI was created with`,
    );
  }
}
