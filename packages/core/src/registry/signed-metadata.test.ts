import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { describe, expect, it } from 'vitest';
import { verifySignedVersion } from './signed-metadata.ts';
import { makePublisherKey, signVersionForTest, targetFor, testCustom } from './testing.ts';
import { parsePublisherPublicKey, tufKeyId } from './tuf-key.ts';

const bytes = Buffer.from('onnx model bytes');
const publisher = makePublisherKey();
const trusted = [{ id: publisher.keyId, publicKey: publisher.publicKey.keyval.public, name: 'ci-main' }];

describe('publisher key ids', () => {
  it('are the TUF key id: sha256 of the canonical key JSON', () => {
    const expected = createHash('sha256').update(canonicalize(publisher.publicKey)).digest('hex');
    expect(tufKeyId(publisher.publicKey)).toBe(expected);
    expect(publisher.keyId).toBe(expected);
  });

  it('parse from the .pub JSON text, bare hex or SPKI PEM, and refuse anything else', () => {
    const hex = publisher.publicKey.keyval.public;
    expect(parsePublisherPublicKey(JSON.stringify(publisher.publicKey)).keyId).toBe(publisher.keyId);
    expect(parsePublisherPublicKey(hex.toUpperCase()).keyId).toBe(publisher.keyId);
    const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(hex, 'hex')]).toString('base64')}\n-----END PUBLIC KEY-----\n`;
    expect(parsePublisherPublicKey(pem).keyId).toBe(publisher.keyId);
    expect(() => parsePublisherPublicKey('{nope')).toThrow(/not valid JSON/);
    expect(() => parsePublisherPublicKey('abcd')).toThrow(/64 hex/);
    expect(() =>
      parsePublisherPublicKey({ keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: hex } } as never),
    ).toThrow(/ed25519/);
  });
});

describe('verifySignedVersion', () => {
  it('accepts metadata signed by a trusted key and returns its targets', () => {
    const json = signVersionForTest(publisher, [
      targetFor(bytes),
      targetFor(bytes, { accelerator: 'cuda', precision: 'fp16' }),
    ]);
    const v = verifySignedVersion(json, trusted);
    expect(v).toMatchObject({ keyId: publisher.keyId, model: 'detector', version: '1.0.0' });
    expect(v.targets.map((t) => t.path).sort()).toEqual([
      'models/detector/1.0.0/onnx-cpu-fp32',
      'models/detector/1.0.0/onnx-cuda-fp16',
    ]);
    expect(v.targets[0]).toMatchObject({ length: bytes.length, custom: { runtime: 'onnx' } });
  });

  it('refuses unknown, revoked and forged signatures', () => {
    const json = signVersionForTest(publisher, [targetFor(bytes)]);
    expect(() => verifySignedVersion(json, [])).toThrow(/unknown key/);
    expect(() => verifySignedVersion(json, [{ ...trusted[0]!, revoked: true }])).toThrow(
      /revoked publisher key ci-main/,
    );
    // Same key id, someone else's public key: the signature does not verify.
    const other = makePublisherKey();
    expect(() =>
      verifySignedVersion(json, [{ id: publisher.keyId, publicKey: other.publicKey.keyval.public }]),
    ).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: expect.stringMatching(/does not verify/) }));
    // A signed byte changed after signing.
    const tampered = json.replace(`"length":${bytes.length}`, `"length":${bytes.length + 1}`);
    expect(tampered).not.toBe(json);
    expect(() => verifySignedVersion(tampered, trusted)).toThrow(/does not verify/);
  });

  it('refuses malformed or inconsistent metadata with a clear reason', () => {
    const sign = (...t: Parameters<typeof targetFor>[]) =>
      signVersionForTest(
        publisher,
        t.map((a) => targetFor(...a)),
      );
    const refuse = (json: string, message: RegExp) =>
      expect(() => verifySignedVersion(json, trusted)).toThrow(
        expect.objectContaining({ code: 'INVALID', message: expect.stringMatching(message) }),
      );
    refuse('not json', /not JSON/);
    refuse('{"signed":{"_type":"root"},"signatures":[]}', /not TUF targets/);
    refuse(sign([Buffer.alloc(0)]), /0-byte/);
    refuse(sign([bytes, { version: '1.2' }]), /semver/);
    refuse(sign([bytes, { model: '../x' }]), /model names/);
    refuse(sign([bytes, { model: 'a/b' }]), /model names/);
    refuse(sign([bytes], [bytes, { version: '2.0.0', accelerator: 'cuda' }]), /one model version/);
    refuse(
      signVersionForTest(publisher, [{ ...targetFor(bytes), path: 'models/detector/1.0.0/../../etc' }]),
      /path must be/,
    );
    refuse(signVersionForTest(publisher, []), /no targets/);
    const floaty = JSON.parse(sign([bytes]));
    Object.values(
      floaty.signed.targets as Record<string, { custom: { card: { metrics: object } } }>,
    )[0]!.custom.card.metrics = { accuracy: 0.93 };
    refuse(JSON.stringify(floaty), /metrics.accuracy \(0.93\) is not an integer/);
    refuse(signVersionForTest(publisher, [targetFor(bytes)], { expires: new Date(Date.now() - 1000) }), /expired/);
    refuse(
      signVersionForTest(publisher, [
        { ...targetFor(bytes), custom: { ...testCustom(), runtime: 'pytorch' as never } },
      ]),
      /custom.runtime/,
    );
  });
});
