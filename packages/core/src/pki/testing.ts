// Test helpers: device-side key pairs and certificate requests, made the way the agent makes them.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import forge from 'node-forge';
import type { FleetPki } from './index.ts';

type DeviceStatus = 'pending' | 'accepted' | 'rejected' | 'revoked' | 'decommissioned';

export interface TestKeyPair {
  keyPem: string;
  publicKeyPem: string;
}

export function makeTestKey(bits = 2048): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A PKCS#10 request for `key`, signed by `signWith` (defaults to the same key: a valid request). */
export function makeTestCsr(
  key: TestKeyPair = makeTestKey(),
  signWith: TestKeyPair = key,
  commonName = 'device',
): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(forge.pki.privateKeyFromPem(signWith.keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

export interface SeededDevice extends TestKeyPair {
  deviceId: string;
  certPem: string;
  serial: string;
}

/**
 * A device row plus a certificate issued by `pki` for a fresh key, written straight to the
 * database (as enrollment would), for tests of what happens after enrollment.
 */
export async function seedTestDevice(
  db: Db,
  pki: FleetPki,
  opts: { deviceId?: string; status?: DeviceStatus; validityDays?: number; now?: Date; createdAt?: Date } = {},
): Promise<SeededDevice> {
  const deviceId = opts.deviceId ?? `dev_${randomBytes(10).toString('hex')}`;
  const key = makeTestKey();
  const issued = pki.issueDeviceCertificate({
    csrPem: makeTestCsr(key),
    deviceId,
    validityDays: opts.validityDays ?? 30,
    now: opts.now,
  });
  await db.device.upsert({
    where: { id: deviceId },
    create: {
      id: deviceId,
      name: deviceId,
      status: opts.status ?? 'accepted',
      facts: {},
      publicKeyPem: key.publicKeyPem,
    },
    update: { publicKeyPem: key.publicKeyPem },
  });
  await db.deviceCertificate.create({
    data: {
      serial: issued.serial,
      deviceId,
      pem: issued.pem,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
    },
  });
  return { ...key, deviceId, certPem: issued.pem, serial: issued.serial };
}
