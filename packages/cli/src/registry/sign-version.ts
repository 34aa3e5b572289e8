import { sign } from 'node:crypto';
import { artifactPath, type TModelTargetCustom } from '@edgefleet/protocol/registry';
import { Metadata, Signature, TargetFile, Targets } from '@tufjs/models';
import { CliError } from '../context.ts';
import type { PublisherSigningKey } from './publisher-key.ts';

/** Long-lived: a version's signature must outlive the devices that run it (TUF `expires`). */
const VALIDITY_YEARS = 5;

export interface ArtifactToSign {
  length: number;
  sha256: string;
  custom: TModelTargetCustom;
}

/**
 * TUF targets metadata for one model version, one target per artifact variant, signed with the
 * publisher's ed25519 key over the canonical JSON of `signed` (@tufjs/models does the
 * canonicalisation). Returns the exact text to send and store.
 */
export function signVersion(artifacts: ArtifactToSign[], key: PublisherSigningKey, now = new Date()): string {
  const expires = new Date(now);
  expires.setUTCFullYear(expires.getUTCFullYear() + VALIDITY_YEARS);
  const targets: Record<string, TargetFile> = {};
  for (const a of artifacts) {
    const path = artifactPath(a.custom);
    // Round-trip drops undefined fields, which canonical JSON cannot represent.
    const custom = JSON.parse(JSON.stringify(a.custom));
    targets[path] = new TargetFile({
      length: a.length,
      path,
      hashes: { sha256: a.sha256 },
      unrecognizedFields: { custom },
    });
  }
  const metadata = new Metadata(
    new Targets({
      version: 1,
      specVersion: '1.0.31',
      expires: expires.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      targets,
    }),
  );
  try {
    metadata.sign(
      (bytes) => new Signature({ keyID: key.keyId, sig: sign(null, bytes, key.privateKey).toString('hex') }),
    );
  } catch (e) {
    // @tufjs canonical JSON refuses non-integers (OLPC canonical JSON has no floats).
    if (e instanceof TypeError) {
      throw new CliError(
        `cannot sign: signed metadata holds whole numbers only (${e.message}); smoke-test values and tolerance included`,
      );
    }
    throw e;
  }
  return JSON.stringify(metadata.toJSON());
}
