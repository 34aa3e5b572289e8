import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { CliError } from '../context.ts';

/** A publisher's public key as TUF writes it: the `<key>.pub` file `keys add` registers. */
export interface TufPublicKey {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

export interface PublisherSigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: TufPublicKey;
}

/** Raw 32-byte ed25519 public key (hex) from its SPKI encoding (12-byte header + key). */
const rawPublicHex = (key: KeyObject) => key.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');

const tufPublicKey = (hex: string): TufPublicKey => ({
  keytype: 'ed25519',
  scheme: 'ed25519',
  keyval: { public: hex },
});

/**
 * The TUF key id: sha256 of the key's canonical JSON (sorted keys, no whitespace). With only
 * ASCII strings in it, canonical JSON is exactly this literal; the server computes the same id.
 */
export const tufKeyId = (key: TufPublicKey): string =>
  createHash('sha256')
    .update(`{"keytype":"${key.keytype}","keyval":{"public":"${key.keyval.public}"},"scheme":"${key.scheme}"}`)
    .digest('hex');

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Writes a new key pair: private PKCS#8 PEM (0600) at `out`, public TUF JSON at `out.pub`. Never overwrites. */
export async function generatePublisherKey(
  out: string,
): Promise<{ keyId: string; privatePath: string; publicPath: string }> {
  const publicPath = `${out}.pub`;
  for (const path of [out, publicPath]) {
    if (await exists(path)) throw new CliError(`${path} already exists; refusing to overwrite a key`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = tufPublicKey(rawPublicHex(publicKey));
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // 'wx': fail rather than clobber a file that appeared meanwhile; 0600 before any byte is written.
  await writeFile(out, pem, { mode: 0o600, flag: 'wx' });
  await writeFile(publicPath, `${JSON.stringify(pub, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  return { keyId: tufKeyId(pub), privatePath: out, publicPath };
}

export async function loadPublisherKey(path: string): Promise<PublisherSigningKey> {
  const pem = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read key ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new CliError(`${path} is not a private key (expected the PKCS#8 PEM \`edgefleet keys generate\` wrote)`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new CliError(`${path} is a ${privateKey.asymmetricKeyType} key; publisher keys are ed25519`);
  }
  const publicKey = tufPublicKey(rawPublicHex(createPublicKey(privateKey)));
  return { keyId: tufKeyId(publicKey), privateKey, publicKey };
}
