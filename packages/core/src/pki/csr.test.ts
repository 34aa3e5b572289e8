import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { verifyCsr } from './csr.ts';
import { makeTestCsr, makeTestKey } from './testing.ts';

const key = makeTestKey();

function rejection(pem: string): string {
  try {
    verifyCsr(pem);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('INVALID');
    return (e as DomainError).message;
  }
  throw new Error('verifyCsr accepted the request');
}

describe('verifyCsr', () => {
  it('accepts a request signed by its own 2048-bit RSA key and returns that key', () => {
    const { publicKeyPem } = verifyCsr(makeTestCsr(key));
    expect(publicKeyPem).toBe(key.publicKeyPem);
  });

  it('refuses a request signed by a different key', () => {
    expect(rejection(makeTestCsr(key, makeTestKey()))).toBe('CSR signature does not match its public key');
  });

  it('refuses a request whose signature bytes were tampered with', () => {
    const block = forge.pem.decode(makeTestCsr(key))[0];
    if (!block) throw new Error('no PEM block');
    const der = Buffer.from(block.body, 'binary');
    der[der.length - 10] = (der[der.length - 10] ?? 0) ^ 0xff; // inside the signature BIT STRING
    const pem = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: der.toString('binary') });
    expect(rejection(pem)).toBe('CSR signature does not match its public key');
  });

  it('refuses a 1024-bit RSA key', () => {
    expect(rejection(makeTestCsr(makeTestKey(1024)))).toBe('RSA key must be at least 2048 bits');
  });

  it('refuses a non-RSA key', () => {
    // forge cannot sign with EC keys: splice an EC public key into an RSA request's info.
    const asn1 = forge.pki.certificationRequestToAsn1(forge.pki.certificationRequestFromPem(makeTestCsr(key)));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const info = (asn1.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1;
    (info.value as forge.asn1.Asn1[])[2] = forge.asn1.fromDer(ec.toString('binary'));
    const pem = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: forge.asn1.toDer(asn1).getBytes() });
    expect(rejection(pem)).toBe('only RSA keys are supported');
  });

  it('refuses things that are not PEM certificate requests', () => {
    expect(rejection('hello')).toBe('not a PEM certificate request');
    expect(rejection(key.publicKeyPem)).toBe('not a PEM certificate request');
    expect(rejection('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')).toBe(
      'not a PEM certificate request',
    );
  });
});
