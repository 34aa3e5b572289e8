import { PROTOCOL_VERSION, ZRenewResponse } from '@edgefleet/protocol/device';
import { certificateInfo, createCsr, generateDeviceKey, keyMatchesCertificate, verifyCaChain } from './certs.ts';
import type { DataDir } from './data-dir.ts';
import { AgentError } from './errors.ts';
import { GatewayClient } from './gateway-client.ts';

/** Renew once less than a third of the certificate's validity is left. */
export function renewalDue(cert: { notBefore: Date; notAfter: Date }, now: Date): boolean {
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  return cert.notAfter.getTime() - now.getTime() < lifetime / 3;
}

/**
 * Finishes a renewal interrupted by a crash. The swap is: renew-key.pem, then renew-cert.pem,
 * then rename key, then rename cert. A renew-cert.pem means the new pair is complete and must be
 * installed; a lone renew-key.pem means the request never finished, so it is dropped (the old
 * pair stays valid: the server retires the old serial only once the new one is used).
 */
export async function recoverRenewal(dataDir: DataDir): Promise<void> {
  if (await dataDir.exists('renewCert')) {
    if (await dataDir.exists('renewKey')) await dataDir.move('renewKey', 'key');
    await dataDir.move('renewCert', 'cert');
  } else {
    await dataDir.remove('renewKey');
  }
}

export interface Credentials {
  deviceId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** New key pair + CSR, sent over mTLS with the current certificate; installs the new pair. */
export async function renewCertificate(dataDir: DataDir, server: URL, current: Credentials): Promise<Date> {
  const next = generateDeviceKey();
  await dataDir.write('renewKey', next.keyPem);
  const client = new GatewayClient(server, { ca: current.caPem, cert: current.certPem, key: current.keyPem });
  const res = await client.postJson(
    '/v1/certificate/renew',
    { v: PROTOCOL_VERSION, csr: await createCsr(next.keyPem, current.deviceId) },
    ZRenewResponse,
  );
  const info = certificateInfo(res.certificate);
  if (!keyMatchesCertificate(next.keyPem, res.certificate)) {
    throw new AgentError('renewal: the new certificate does not match the new key');
  }
  if (info.subjectCn !== current.deviceId) {
    throw new AgentError(`renewal: the new certificate is for ${info.subjectCn}, not ${current.deviceId}`);
  }
  const chain = verifyCaChain(res.caChain);
  if (chain.rootFingerprint !== verifyCaChain(current.caPem).rootFingerprint) {
    throw new AgentError('renewal: the server sent a CA chain for a different root');
  }
  await dataDir.write('renewCert', res.certificate);
  await dataDir.write('ca', chain.certificates.join(''));
  await recoverRenewal(dataDir);
  return info.notAfter;
}
