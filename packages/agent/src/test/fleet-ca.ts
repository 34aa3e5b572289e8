// Test-only certificate authority: a root, an issuing CA, a server certificate and device
// certificates, laid out like the fleet PKI (chain = issuing then root), made with node-forge.
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairPem {
  keyPem: string;
  publicKeyPem: string;
}

export function rsaKeyPair(bits = 2048): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const serial = () => `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;

interface SignInput {
  subjectCn: string;
  publicKeyPem: string;
  issuer: { cert: forge.pki.Certificate; keyPem: string } | null;
  selfKeyPem?: string;
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
  extensions?: object[];
}

function sign(input: SignInput): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(input.publicKeyPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = input.notBefore;
  cert.validity.notAfter = input.notAfter;
  cert.setSubject([{ name: 'commonName', value: input.subjectCn }]);
  cert.setIssuer(
    input.issuer ? input.issuer.cert.subject.attributes : [{ name: 'commonName', value: input.subjectCn }],
  );
  cert.setExtensions([
    input.ca ? { name: 'basicConstraints', cA: true, critical: true } : { name: 'basicConstraints', cA: false },
    input.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'subjectKeyIdentifier' },
    ...(input.extensions ?? []),
  ]);
  const signerPem = input.issuer?.keyPem ?? input.selfKeyPem!;
  cert.sign(forge.pki.privateKeyFromPem(signerPem), forge.md.sha256.create());
  return cert;
}

export interface TestCa {
  rootPem: string;
  issuingPem: string;
  /** Issuing then root: what devices and the broker trust. */
  chainPem: string;
  server: { certPem: string; keyPem: string };
  /** Issues a device certificate (CN = device id) for a CSR or a public key. */
  issueDevice(input: { deviceId: string; csrPem?: string; publicKeyPem?: string; notBefore?: Date; notAfter?: Date }): {
    certPem: string;
    notBefore: Date;
    notAfter: Date;
  };
  /** A ready device identity: key plus a certificate. */
  device(deviceId: string, validity?: { notBefore: Date; notAfter: Date }): { keyPem: string; certPem: string };
}

const DAY = 86_400_000;

export function createTestCa(opts: { cn?: string; serverNames?: string[] } = {}): TestCa {
  const now = Date.now();
  const rootKeys = rsaKeyPair();
  const root = sign({
    subjectCn: `${opts.cn ?? 'Test'} Root CA`,
    publicKeyPem: rootKeys.publicKeyPem,
    issuer: null,
    selfKeyPem: rootKeys.keyPem,
    ca: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
  });
  const issuingKeys = rsaKeyPair();
  const issuing = sign({
    subjectCn: `${opts.cn ?? 'Test'} Issuing CA`,
    publicKeyPem: issuingKeys.publicKeyPem,
    issuer: { cert: root, keyPem: rootKeys.keyPem },
    ca: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 1825 * DAY),
  });
  const issuer = { cert: issuing, keyPem: issuingKeys.keyPem };
  const serverKeys = rsaKeyPair();
  const names = opts.serverNames ?? ['localhost'];
  const server = sign({
    subjectCn: 'edgefleet-gateway',
    publicKeyPem: serverKeys.publicKeyPem,
    issuer,
    ca: false,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    extensions: [
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 7, ip: '127.0.0.1' }, ...names.map((value) => ({ type: 2, value }))],
      },
    ],
  });
  const rootPem = forge.pki.certificateToPem(root);
  const issuingPem = forge.pki.certificateToPem(issuing);
  const issueDevice: TestCa['issueDevice'] = (input) => {
    const publicKeyPem =
      input.publicKeyPem ??
      forge.pki.publicKeyToPem(forge.pki.certificationRequestFromPem(input.csrPem!).publicKey as forge.pki.PublicKey);
    const notBefore = input.notBefore ?? new Date(Date.now() - 60_000);
    const notAfter = input.notAfter ?? new Date(Date.now() + 365 * DAY);
    const cert = sign({
      subjectCn: input.deviceId,
      publicKeyPem,
      issuer,
      ca: false,
      notBefore,
      notAfter,
      extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    return { certPem: forge.pki.certificateToPem(cert), notBefore, notAfter };
  };
  return {
    rootPem,
    issuingPem,
    chainPem: issuingPem + rootPem,
    server: { certPem: forge.pki.certificateToPem(server) + issuingPem, keyPem: serverKeys.keyPem },
    issueDevice,
    device(deviceId, validity) {
      const keys = rsaKeyPair();
      const { certPem } = issueDevice({ deviceId, publicKeyPem: keys.publicKeyPem, ...validity });
      return { keyPem: keys.keyPem, certPem };
    },
  };
}
