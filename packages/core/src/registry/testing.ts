// Test helpers for the registry: publisher keys and signed metadata made exactly the way the
// CLI makes them (node:crypto ed25519 + @tufjs/models), and stand-in principals.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import { artifactPath } from '@edgefleet/protocol/registry';
import { Metadata, Signature, TargetFile, Targets } from '@tufjs/models';
import { type Principal, scopesForRole } from '../access.ts';
import { parsePublisherPublicKey, type TufKeyJson } from './tuf-key.ts';

export interface TestPublisher {
  keyId: string;
  privateKey: KeyObject;
  /** PKCS#8 PEM, as `edgefleet keys generate` writes it. */
  privatePem: string;
  /** The `.pub` file's JSON. */
  publicKey: TufKeyJson;
}

export function makePublisherKey(): TestPublisher {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The raw 32-byte key is the tail of the SPKI DER.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const { keyId, key } = parsePublisherPublicKey({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } });
  return {
    keyId,
    privateKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: key,
  };
}

export const testAdmin: Principal = {
  kind: 'user',
  userId: 'user-admin',
  email: 'admin@fleet.test',
  role: 'admin',
  scopes: scopesForRole('admin'),
  sessionId: 'session-admin',
};

/** A CI token that may publish and nothing else. */
export const testPublishToken: Principal = {
  kind: 'token',
  tokenId: 'tok-ci',
  tokenName: 'ci',
  userId: 'user-admin',
  email: 'admin@fleet.test',
  role: 'admin',
  scopes: ['models:publish'],
};

export function testCustom(overrides: Partial<TModelTargetCustom> = {}): TModelTargetCustom {
  return {
    model: 'detector',
    version: '1.0.0',
    runtime: 'onnx',
    accelerator: 'cpu',
    precision: 'fp32',
    tensors: {
      inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'output', dtype: 'float32', shape: ['batch', 2] }],
    },
    // Integers only: TUF canonical JSON (what gets signed) cannot encode floats.
    card: { framework: 'onnx', opset: 17, metrics: { accuracy: '0.93' } },
    ...overrides,
  };
}

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface TestTarget {
  custom: TModelTargetCustom;
  length: number;
  sha256: string;
  /** Defaults to artifactPath(custom); set to test a mismatch. */
  path?: string;
}

/** A target for `bytes` with the given custom fields. */
export const targetFor = (bytes: Uint8Array, custom: Partial<TModelTargetCustom> = {}): TestTarget => ({
  custom: testCustom(custom),
  length: bytes.byteLength,
  sha256: sha256Of(bytes),
});

/**
 * Signed TUF targets metadata as the CLI sends it: `JSON.stringify(metadata.toJSON())`, signed
 * over the canonical JSON of `signed` with the publisher's ed25519 key.
 */
export function signVersionForTest(
  publisher: Pick<TestPublisher, 'keyId' | 'privateKey'>,
  targets: TestTarget[],
  opts: { expires?: Date } = {},
): string {
  const expires = opts.expires ?? new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
  const files = Object.fromEntries(
    targets.map((t) => {
      const path = t.path ?? artifactPath(t.custom);
      const file = new TargetFile({
        length: t.length,
        path,
        hashes: { sha256: t.sha256 },
        unrecognizedFields: { custom: t.custom as unknown as Record<string, never> },
      });
      return [path, file];
    }),
  );
  const metadata = new Metadata(
    new Targets({ version: 1, specVersion: '1.0.31', expires: expires.toISOString(), targets: files }),
  );
  metadata.sign(
    (data) => new Signature({ keyID: publisher.keyId, sig: sign(null, data, publisher.privateKey).toString('hex') }),
  );
  return JSON.stringify(metadata.toJSON());
}
