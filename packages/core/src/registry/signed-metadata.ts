import { artifactPath, type TModelTargetCustom, ZModelTargetCustom } from '@edgefleet/protocol/registry';
import { Metadata, MetadataKind, type Targets } from '@tufjs/models';
import { DomainError } from '../errors.ts';
import { tufKey } from './tuf-key.ts';

export interface VerifiedTarget {
  path: string;
  length: number;
  sha256: string;
  custom: TModelTargetCustom;
}
export interface VerifiedVersion {
  keyId: string;
  model: string;
  version: string;
  expires: string;
  targets: VerifiedTarget[];
}

/** A publisher key the caller knows; `revoked` ones never verify, but get named in the refusal. */
export interface VerificationKey {
  id: string;
  /** ed25519 public key, hex. */
  publicKey: string;
  revoked?: boolean;
  name?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Verifies signed TUF targets metadata for one model version by the TUF rules: a valid signature
 * by a trusted (registered, non-revoked) key over the canonical `signed` part, not expired, and
 * targets that describe artifacts of one model version. Throws DomainError INVALID (malformed)
 * or FORBIDDEN (signature) with a message fit for the publisher.
 */
export function verifySignedVersion(json: string, keys: VerificationKey[], now = new Date()): VerifiedVersion {
  const metadata = parseTargets(json);
  const keyId = verifySignature(metadata, keys);
  if (metadata.signed.isExpired(now)) {
    throw new DomainError('INVALID', `signedMetadata expired at ${metadata.signed.expires}`);
  }
  const targets = Object.values(metadata.signed.targets).map((target): VerifiedTarget => {
    const where = `target ${target.path}`;
    const parsed = ZModelTargetCustom.safeParse(target.unrecognizedFields.custom);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.length ? `custom.${issue.path.join('.')}: ` : 'custom: ';
      throw new DomainError('INVALID', `${where}: ${path}${issue?.message ?? 'invalid'}`);
    }
    const custom = parsed.data;
    const sha256 = target.hashes.sha256;
    if (!sha256 || !SHA256_HEX.test(sha256)) {
      throw new DomainError('INVALID', `${where}: hashes.sha256 must be 64 lowercase hex characters`);
    }
    if (!Number.isSafeInteger(target.length) || target.length <= 0) {
      throw new DomainError('INVALID', `${where}: length must be a positive integer (a 0-byte artifact is no model)`);
    }
    const expectedPath = artifactPath(custom);
    if (target.path !== expectedPath) {
      throw new DomainError('INVALID', `${where}: path must be ${expectedPath} for its custom fields`);
    }
    return { path: target.path, length: target.length, sha256, custom };
  });
  const first = targets[0];
  if (!first) throw new DomainError('INVALID', 'signedMetadata has no targets: a version needs at least one artifact');
  const stray = targets.find((t) => t.custom.model !== first.custom.model || t.custom.version !== first.custom.version);
  if (stray) {
    throw new DomainError(
      'INVALID',
      `all targets must be one model version: ${stray.path} is not ${first.custom.model}@${first.custom.version}`,
    );
  }
  return { keyId, model: first.custom.model, version: first.custom.version, expires: metadata.signed.expires, targets };
}

function parseTargets(json: string): Metadata<Targets> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new DomainError('INVALID', 'signedMetadata is not JSON');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new DomainError('INVALID', 'signedMetadata must be a TUF metadata object');
  }
  const float = findNonInteger((data as { signed?: unknown }).signed, 'signed');
  if (float) {
    // Canonical JSON, which TUF signs, has no floats: such metadata could never have been signed.
    throw new DomainError(
      'INVALID',
      `signedMetadata: ${float} is not an integer; TUF canonical JSON allows only integers`,
    );
  }
  try {
    return Metadata.fromJSON(MetadataKind.Targets, data as Parameters<typeof Metadata.fromJSON>[1]);
  } catch (e) {
    throw new DomainError('INVALID', `signedMetadata is not TUF targets metadata: ${(e as Error).message}`);
  }
}

/** The path of the first number that is not an integer, if any. */
function findNonInteger(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isInteger(value) ? null : `${path} (${value})`;
  if (!value || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value)) {
    const found = findNonInteger(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
    if (found) return found;
  }
  return null;
}

/** The id of the trusted key whose signature verifies; FORBIDDEN, naming the problem, otherwise. */
function verifySignature(metadata: Metadata<Targets>, keys: VerificationKey[]): string {
  const signedBy = Object.keys(metadata.signatures);
  if (signedBy.length === 0) throw new DomainError('FORBIDDEN', 'signedMetadata carries no signature');
  const label = (k: VerificationKey) => (k.name ? `${k.name} (${k.id})` : k.id);
  const known = keys.filter((k) => signedBy.includes(k.id));
  for (const key of known.filter((k) => !k.revoked)) {
    try {
      tufKey(key.id, key.publicKey).verifySignature(metadata);
      return key.id;
    } catch {
      // Try any other trusted signer; refuse below if none verifies.
    }
  }
  const trusted = known.filter((k) => !k.revoked);
  if (trusted.length > 0) {
    throw new DomainError(
      'FORBIDDEN',
      `the signature by publisher key ${trusted.map(label).join(', ')} does not verify`,
    );
  }
  const revoked = known.filter((k) => k.revoked);
  if (revoked.length > 0) {
    throw new DomainError('FORBIDDEN', `signed by revoked publisher key ${revoked.map(label).join(', ')}`);
  }
  throw new DomainError(
    'FORBIDDEN',
    `signed by unknown key ${signedBy.join(', ')}: register it with "edgefleet keys add"`,
  );
}
