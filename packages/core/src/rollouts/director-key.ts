import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';
import { openKey, sealKey } from '../pki/key-sealing.ts';
import { tufKeyId } from '../registry/tuf-key.ts';

/**
 * The control plane's online ed25519 key that signs every device's TUF repository (root,
 * targets, snapshot, timestamp). The private half stays inside `sign`: nothing returns it.
 */
export interface DirectorKey {
  /** TUF key id: sha256 of the canonical key JSON. */
  readonly keyId: string;
  /** Raw 32-byte ed25519 public key, hex (TUF keyval.public). */
  readonly publicKeyHex: string;
  /**
   * When the key was made; root v1 expires ten years later, so every replica serves the same
   * root bytes. Optional for hand-built keys (then a fixed date is used).
   */
  readonly createdAt?: Date;
  sign(bytes: Buffer): Buffer;
}

const NAME = 'director';

const rawPublicHex = (key: KeyObject) => key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

/**
 * Loads the director key from `pki_material` (name `director`: `certPem` holds the public key as
 * 64 hex characters, `keyEnc` the sealed PKCS#8 PEM), creating it on first use. Replicas racing
 * to create it all end up with the one row that won.
 */
export async function loadOrCreateDirectorKey(db: Db, opts: { secret: string }): Promise<DirectorKey> {
  let row = await db.pkiMaterial.findUnique({ where: { name: NAME } });
  if (!row) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await db.pkiMaterial.createMany({
      data: [{ name: NAME, certPem: rawPublicHex(publicKey), keyEnc: sealKey(opts.secret, NAME, keyPem) }],
      skipDuplicates: true,
    });
    row = await db.pkiMaterial.findUniqueOrThrow({ where: { name: NAME } });
  }
  const privateKey = createPrivateKey(openKey(opts.secret, NAME, row.keyEnc));
  const publicKeyHex = rawPublicHex(createPublicKey(privateKey));
  if (privateKey.asymmetricKeyType !== 'ed25519' || publicKeyHex !== row.certPem.trim().toLowerCase()) {
    throw new DomainError('PRECONDITION_FAILED', 'The stored director key does not match its recorded public key');
  }
  return Object.freeze({
    keyId: tufKeyId({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicKeyHex } }),
    publicKeyHex,
    createdAt: row.createdAt,
    sign: (bytes: Buffer) => sign(null, bytes, privateKey),
  });
}
