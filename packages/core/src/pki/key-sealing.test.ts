import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { openKey, sealKey } from './key-sealing.ts';

const secret = 's'.repeat(40);
const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';

describe('key sealing', () => {
  it('round-trips and never contains the plain key', () => {
    const sealed = sealKey(secret, 'root', pem);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(sealKey(secret, 'root', pem)).not.toBe(sealed); // fresh salt and IV each time
    expect(openKey(secret, 'root', sealed)).toBe(pem);
  });

  it('fails clearly with another secret, another record name, or a modified ciphertext', () => {
    const sealed = sealKey(secret, 'root', pem);
    expect(() => openKey('t'.repeat(40), 'root', sealed)).toThrowError(DomainError);
    expect(() => openKey('t'.repeat(40), 'root', sealed)).toThrowError(/EDGEFLEET_SECRET/);
    expect(() => openKey(secret, 'issuing', sealed)).toThrowError(/Cannot decrypt/);
    const parts = sealed.split('.');
    // Change the first ciphertext character to a different one (the same letter would be no tampering).
    const first = parts[4]?.[0];
    parts[4] = `${first === 'A' ? 'B' : 'A'}${parts[4]?.slice(1)}`;
    expect(() => openKey(secret, 'root', parts.join('.'))).toThrowError(/Cannot decrypt/);
    expect(() => openKey(secret, 'root', 'garbage')).toThrowError(/unknown format/);
  });
});
