import { describe, expect, it } from 'vitest';
import { REDACTED, redactor } from './redact.ts';

const KEY_PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
  '-----END PRIVATE KEY-----',
].join('\n');

describe('diagnostics redaction', () => {
  it('replaces values under secret-looking names, however deep, and keeps the rest', () => {
    const redact = redactor([]);
    const out = redact({
      heartbeat: 30_000,
      deviceId: 'dev_1',
      keyPem: 'anything',
      identity: { pollSecret: 'ps', server: 'https://gw:8443' },
      broker: [{ password: 'hunter2', host: 'mqtt' }],
      enrollToken: 'eft_abc',
      apiKey: null,
    });
    expect(out).toEqual({
      heartbeat: 30_000,
      deviceId: 'dev_1',
      keyPem: REDACTED,
      identity: { pollSecret: REDACTED, server: 'https://gw:8443' },
      broker: [{ password: REDACTED, host: 'mqtt' }],
      enrollToken: REDACTED,
      apiKey: null,
    });
  });

  it("removes the device's own secrets and any PEM private key wherever they appear", () => {
    const pollSecret = 'poll-secret-0123456789';
    const redact = redactor([KEY_PEM, pollSecret, 'short']);
    const [line, pem, partial] = redact([
      `polling with ${pollSecret} now`,
      `read key: ${KEY_PEM.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY')}`,
      `truncated ${KEY_PEM.slice(0, 60)}`,
    ]);
    expect(line).toBe(`polling with ${REDACTED} now`);
    expect(pem).toBe(`read key: ${REDACTED}`);
    expect(partial).toBe(`truncated ${REDACTED}`);
    // Too short to be a secret worth blanking everywhere.
    expect(redact('a short answer')).toBe('a short answer');
  });

  it('removes tokens and passwords written as arguments or fields in free text', () => {
    const redact = redactor([]);
    expect(redact('edgefleet-agent enroll --token eft_0123456789abcdef --data-dir /x')).toBe(
      `edgefleet-agent enroll --token ${REDACTED} --data-dir /x`,
    );
    expect(redact('{"token":"eft_0123456789abcdef"} password=correcthorse')).toBe(
      `{"token":"${REDACTED}"} password=${REDACTED}`,
    );
    // Prose about tokens is left alone.
    expect(redact('the enrollment token expired')).toBe('the enrollment token expired');
  });
});
