import { createHash, createPublicKey } from 'node:crypto';
import { Key } from '@tufjs/models';
import { DomainError } from '../errors.ts';

/** A publisher's public key as TUF writes it (the CLI's `<key>.pub`). */
export interface TufKeyJson {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

const ED25519_HEX = /^[0-9a-f]{64}$/;
// SubjectPublicKeyInfo prefix of a raw 32-byte ed25519 key (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * OLPC canonical JSON (what TUF hashes and signs): sorted keys, no whitespace, only `"` and `\`
 * escaped. For the ASCII strings of a key object that is exactly JSON.stringify with sorted keys.
 */
function canonicalJson(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The TUF key id: sha256 of the canonical JSON of the public key. */
export const tufKeyId = (key: TufKeyJson): string =>
  createHash('sha256')
    .update(canonicalJson(Key.fromJSON('', { ...key }).toJSON()))
    .digest('hex');

/**
 * Reads a publisher public key given as the `.pub` JSON (object or text), a bare 64-hex raw key,
 * or an SPKI PEM; only ed25519 is accepted. Returns the key's TUF form and id.
 */
export function parsePublisherPublicKey(input: TufKeyJson | string): { keyId: string; key: TufKeyJson } {
  const hex = rawPublicHex(input);
  if (!ED25519_HEX.test(hex)) {
    throw new DomainError('INVALID', 'publicKey: an ed25519 public key is 32 bytes, written as 64 hex characters');
  }
  try {
    createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw new DomainError('INVALID', 'publicKey: not a valid ed25519 public key');
  }
  const key: TufKeyJson = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: hex } };
  return { keyId: tufKeyId(key), key };
}

function rawPublicHex(input: TufKeyJson | string): string {
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('-----BEGIN PUBLIC KEY-----')) return pemToHex(text);
    if (!text.startsWith('{')) return text.toLowerCase();
    try {
      return rawPublicHex(JSON.parse(text) as TufKeyJson);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new DomainError('INVALID', 'publicKey: not valid JSON (expected the contents of the .pub file)');
    }
  }
  if (!input || typeof input !== 'object') throw new DomainError('INVALID', 'publicKey: expected a TUF key object');
  if (input.keytype !== 'ed25519' || input.scheme !== 'ed25519') {
    throw new DomainError('INVALID', 'publicKey: only keytype ed25519 with scheme ed25519 is supported');
  }
  const pub = input.keyval?.public;
  if (typeof pub !== 'string') throw new DomainError('INVALID', 'publicKey: keyval.public is missing');
  return pub.toLowerCase();
}

function pemToHex(pem: string): string {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    const der = key.export({ format: 'der', type: 'spki' });
    return der.subarray(ED25519_SPKI_PREFIX.length).toString('hex');
  } catch {
    throw new DomainError('INVALID', 'publicKey: the PEM is not an ed25519 public key');
  }
}

/** The @tufjs/models Key for a stored (hex) public key under its id. */
export const tufKey = (id: string, publicHex: string) =>
  new Key({ keyID: id, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: publicHex } });
