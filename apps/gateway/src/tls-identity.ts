import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TlsIdentity {
  key: string;
  cert: string;
}

/**
 * The gateway's TLS key and certificate, made once and kept in `<dataDir>/gateway/` (key
 * 0600). Self-signed for now; the device-identity work replaces it with one issued by the
 * fleet CA, whose chain devices pin.
 */
export function loadOrCreateGatewayIdentity(dataDir: string, publicHost: string): TlsIdentity {
  const dir = join(dataDir, 'gateway');
  const keyFile = join(dir, 'server.key');
  const certFile = join(dir, 'server.crt');
  if (existsSync(keyFile) && existsSync(certFile)) {
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: 'edgefleet-gateway' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        ...(publicHost !== 'localhost' ? [{ type: 2, value: publicHost }] : []),
      ],
    },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const identity = { key: forge.pki.privateKeyToPem(keys.privateKey), cert: forge.pki.certificateToPem(cert) };
  // Key first, then the certificate: a crash in between leaves no cert, so the pair is remade.
  writeFileSync(keyFile, identity.key, { mode: 0o600 });
  writeFileSync(certFile, identity.cert, { mode: 0o644 });
  return identity;
}
