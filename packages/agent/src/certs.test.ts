import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import {
  certificateFingerprint,
  createCsr,
  displayFingerprint,
  generateDeviceKey,
  keyMatchesCertificate,
  normalizeFingerprint,
  verifyCaChain,
} from './certs.ts';
import { createTestCa } from './test/fleet-ca.ts';
import { checkPinnedRoot } from './trust.ts';

const ca = createTestCa();
const other = createTestCa({ cn: 'Other' });
const rootFp = certificateFingerprint(ca.rootPem);

describe('CA pinning', () => {
  it('accepts the fingerprint with or without colons, in any case', () => {
    for (const variant of [
      rootFp,
      rootFp.toUpperCase(),
      displayFingerprint(rootFp),
      displayFingerprint(rootFp).toLowerCase(),
      `SHA256:${rootFp}`,
    ]) {
      expect(checkPinnedRoot(ca.chainPem, variant).rootFingerprint).toBe(rootFp);
    }
  });

  it('refuses a chain whose root does not match', () => {
    expect(() => checkPinnedRoot(other.chainPem, rootFp)).toThrow(/does not match the pinned/);
  });

  it('refuses malformed fingerprints', () => {
    for (const bad of ['', 'abcd', `${rootFp}00`, `zz${rootFp.slice(2)}`])
      expect(() => normalizeFingerprint(bad)).toThrow(/64 hex/);
  });

  it('refuses a chain with a stranger in it, even when the pinned root is last', () => {
    // A self-signed extra would be a trust anchor of its own if it went into `ca` unchecked.
    expect(() => checkPinnedRoot(other.rootPem + ca.rootPem, rootFp)).toThrow(/is not signed by/);
    expect(() => verifyCaChain(ca.issuingPem)).toThrow(/not a self-signed root/);
    expect(() => verifyCaChain(ca.server.certPem)).toThrow(/not a CA/);
    expect(() => verifyCaChain('hello')).toThrow(/no PEM certificate/);
  });
});

describe('device key and CSR', () => {
  it('makes an RSA-2048 CSR whose signature verifies and whose key matches the issued cert', async () => {
    const key = generateDeviceKey();
    const csrPem = await createCsr(key.keyPem, 'dev_x');
    const csr = forge.pki.certificationRequestFromPem(csrPem);
    expect(csr.verify()).toBe(true);
    expect((csr.publicKey as forge.pki.rsa.PublicKey).n.bitLength()).toBe(2048);
    const { certPem } = ca.issueDevice({ deviceId: 'dev_x', csrPem });
    expect(keyMatchesCertificate(key.keyPem, certPem)).toBe(true);
    expect(keyMatchesCertificate(generateDeviceKey().keyPem, certPem)).toBe(false);
  });
});
