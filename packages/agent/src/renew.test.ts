import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyMatchesCertificate } from './certs.ts';
import { DataDir } from './data-dir.ts';
import { recoverRenewal, renewalDue } from './renew.ts';
import { createTestCa } from './test/fleet-ca.ts';

const DAY = 86_400_000;

describe('renewalDue', () => {
  const notBefore = new Date('2025-01-01T00:00:00Z');
  const notAfter = new Date(notBefore.getTime() + 300 * DAY);
  it('renews once less than a third of the validity is left', () => {
    expect(renewalDue({ notBefore, notAfter }, new Date(notBefore.getTime() + 199 * DAY))).toBe(false);
    expect(renewalDue({ notBefore, notAfter }, new Date(notBefore.getTime() + 201 * DAY))).toBe(true);
    expect(renewalDue({ notBefore, notAfter }, new Date(notAfter.getTime() + DAY))).toBe(true);
  });
});

describe('recoverRenewal (a crash at each step of the key/cert swap)', () => {
  const ca = createTestCa();
  const setup = async () => {
    const data = new DataDir(await mkdtemp(join(tmpdir(), 'agent-renew-')));
    const old = ca.device('dev_r');
    const next = ca.device('dev_r');
    await data.write('key', old.keyPem);
    await data.write('cert', old.certPem);
    return { data, old, next };
  };
  const pair = async (data: DataDir) => ({ key: await data.require('key'), cert: await data.require('cert') });

  it('installs a complete new pair (crash before the renames)', async () => {
    const { data, next } = await setup();
    await data.write('renewKey', next.keyPem);
    await data.write('renewCert', next.certPem);
    await recoverRenewal(data);
    expect(await pair(data)).toEqual({ key: next.keyPem, cert: next.certPem });
    expect((await readdir(data.root)).sort()).toEqual(['cert.pem', 'key.pem']);
  });

  it('finishes a half-done swap (crash between the two renames)', async () => {
    const { data, next } = await setup();
    await data.write('key', next.keyPem);
    await data.write('renewCert', next.certPem);
    await recoverRenewal(data);
    const p = await pair(data);
    expect(keyMatchesCertificate(p.key, p.cert)).toBe(true);
    expect(p.cert).toBe(next.certPem);
  });

  it('drops a new key whose certificate never arrived, keeping the working pair', async () => {
    const { data, old, next } = await setup();
    await data.write('renewKey', next.keyPem);
    await recoverRenewal(data);
    expect(await pair(data)).toEqual({ key: old.keyPem, cert: old.certPem });
    expect(await data.exists('renewKey')).toBe(false);
    await rm(data.root, { recursive: true });
  });
});
