import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tufKeyId } from '@edgefleet/core/registry/tuf-key';
import { directorRoot } from '@edgefleet/core/rollouts/director-metadata';
import { ZEnrollRequest } from '@edgefleet/protocol/device';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certificateFingerprint, displayFingerprint, keyMatchesCertificate, splitPemChain } from './certs.ts';
import { DataDir } from './data-dir.ts';
import { main } from './main.ts';
import { accepted, type FakeGateway, startFakeGateway } from './test/fake-gateway.ts';
import { createTestCa } from './test/fleet-ca.ts';

const ca = createTestCa();
const stranger = createTestCa({ cn: 'Stranger' });
const fingerprint = certificateFingerprint(ca.rootPem);
const DEVICE = 'dev_0123456789abcdefghij';
let gw: FakeGateway;
let dir: string;

async function agent(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'edgefleet-agent', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const enrollArgs = (...extra: string[]) => [
  'enroll',
  '--server',
  gw.url,
  '--token',
  'efe_test',
  '--data-dir',
  dir,
  ...extra,
];
const paths = (method: string) => gw.requests.filter((r) => r.method === method).map((r) => r.path);

beforeAll(async () => {
  gw = await startFakeGateway(ca, DEVICE);
});
afterAll(() => gw.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-enroll-'));
  gw.requests.length = 0;
  gw.caChain = ca.chainPem;
  gw.tufRoot = null;
  gw.onEnroll = (req) => accepted(ca, DEVICE, req.csr);
  gw.onPoll = (req) => ({ status: 200, body: { status: 'pending', deviceId: req.deviceId, retryAfterSeconds: 1 } });
  return () => rm(dir, { recursive: true, force: true });
});

describe('edgefleet-agent enroll', () => {
  it('enrolls with a pinned fingerprint (colon, upper case), keeps the key private, and is idempotent', async () => {
    const r = await agent(...enrollArgs('--ca-fingerprint', displayFingerprint(fingerprint), '--serial', 'SN-42'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Enrolled as ${DEVICE}`);

    const data = new DataDir(dir);
    const [key, cert, caPem, identity] = [
      await data.require('key'),
      await data.require('cert'),
      await data.require('ca'),
      await data.readIdentity(),
    ];
    expect(keyMatchesCertificate(key, cert)).toBe(true);
    expect(splitPemChain(caPem).map(certificateFingerprint)).toEqual(
      splitPemChain(ca.chainPem).map(certificateFingerprint),
    );
    expect(identity).toMatchObject({
      deviceId: DEVICE,
      status: 'accepted',
      server: gw.url,
      mqtt: { host: '127.0.0.1', port: 8883 },
    });
    expect(identity?.pollSecret).toBeUndefined();
    expect((await stat(data.path('key'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['ca.pem', 'cert.pem', 'identity.json', 'key.pem']);

    const sent = gw.requests.find((x) => x.path === '/v1/enroll')!;
    const body = ZEnrollRequest.parse(sent.body);
    expect(body.facts.serialNumber).toBe('SN-42');
    expect(JSON.stringify(sent.body)).not.toContain('PRIVATE KEY');

    gw.requests.length = 0;
    const again = await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    expect(again.code).toBe(0);
    expect(again.out).toContain(`Already enrolled as ${DEVICE}`);
    expect(gw.requests).toEqual([]);
  });

  it('waits while pending, polls with backoff, and stores the certificate once approved', async () => {
    gw.onEnroll = () => ({
      status: 202,
      body: { status: 'pending', deviceId: DEVICE, pollSecret: 'poll-secret', retryAfterSeconds: 30 },
    });
    let polls = 0;
    gw.onPoll = (req) => {
      expect(req.pollSecret).toBe('poll-secret');
      if (++polls < 3) return { status: 200, body: { status: 'pending', deviceId: DEVICE, retryAfterSeconds: 30 } };
      const csr = ZEnrollRequest.parse(gw.requests.find((x) => x.path === '/v1/enroll')!.body).csr;
      return accepted(ca, DEVICE, csr);
    };
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint, '--poll-interval', '20ms'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`waiting for an operator to approve device ${DEVICE} \\(pending\\)`));
    expect(polls).toBe(3);
    const identity = await new DataDir(dir).readIdentity();
    expect(identity).toMatchObject({ status: 'accepted' });
    expect(identity?.pollSecret).toBeUndefined();
  });

  it('gives up at --timeout keeping the pending identity, and a second run resumes polling instead of re-enrolling', async () => {
    gw.onEnroll = () => ({
      status: 202,
      body: { status: 'pending', deviceId: DEVICE, pollSecret: 'poll-secret', retryAfterSeconds: 1 },
    });
    const first = await agent(
      ...enrollArgs('--ca-fingerprint', fingerprint, '--poll-interval', '20ms', '--timeout', '150ms'),
    );
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/still pending; run enroll again/);
    expect(await new DataDir(dir).readIdentity()).toMatchObject({ status: 'pending', pollSecret: 'poll-secret' });

    const csr = ZEnrollRequest.parse(gw.requests.find((x) => x.path === '/v1/enroll')!.body).csr;
    gw.requests.length = 0;
    gw.onPoll = () => accepted(ca, DEVICE, csr);
    // No token or pin needed to resume: both were settled by the first run.
    const second = await agent('enroll', '--data-dir', dir, '--poll-interval', '20ms');
    expect(second.code).toBe(0);
    expect(second.out).toContain(`Resuming the pending enrollment of ${DEVICE}`);
    expect(paths('POST')).toEqual(['/v1/enroll/poll']);
  });

  it('exits 1 with the reason when rejected', async () => {
    gw.onEnroll = () => ({
      status: 202,
      body: { status: 'pending', deviceId: DEVICE, pollSecret: 'p', retryAfterSeconds: 1 },
    });
    gw.onPoll = () => ({ status: 200, body: { status: 'rejected', deviceId: DEVICE, reason: 'not one of ours' } });
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint, '--poll-interval', '10ms'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`edgefleet-agent: enrollment of ${DEVICE} was rejected: not one of ours`);
    expect(await new DataDir(dir).readIdentity()).toMatchObject({
      status: 'rejected',
      rejectedReason: 'not one of ours',
    });
  });

  it('refuses a server whose CA does not match the pin, before sending the token or making a key', async () => {
    gw.caChain = stranger.chainPem;
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/root CA fingerprint .* does not match the pinned/);
    expect(paths('POST')).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a server presenting a certificate from another CA even if /v1/ca serves the pinned chain', async () => {
    // The chain is public; only the server's TLS key proves it is the server.
    const caFile = join(dir, 'stranger-chain.pem');
    await writeFile(caFile, stranger.chainPem);
    const r = await agent(...enrollArgs('--ca', caFile));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does not verify against the pinned CA/);
    expect(paths('POST')).toEqual([]);
  });

  it('shows the server error body in one line', async () => {
    gw.onEnroll = () => ({
      status: 401,
      body: { error: 'unauthorized', message: 'Unknown or expired enrollment token' },
    });
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    expect(r.code).toBe(1);
    expect(r.err).toBe('edgefleet-agent: server refused (401 unauthorized): Unknown or expired enrollment token');
  });

  it('refuses to enroll without a pin, and trusts on first use only when told to, loudly', async () => {
    const none = await agent(...enrollArgs());
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/pin the control plane CA with --ca-fingerprint/);
    expect(gw.requests).toEqual([]);

    const tofu = await agent(...enrollArgs('--insecure-trust-on-first-use'));
    expect(tofu.code).toBe(0);
    expect(tofu.out).toContain('WARNING: --insecure-trust-on-first-use');
    expect(tofu.out).toContain(displayFingerprint(fingerprint));
  });

  it('accepts a CA chain file', async () => {
    const caFile = join(dir, 'chain.pem');
    await writeFile(caFile, ca.chainPem);
    const r = await agent(...enrollArgs('--ca', caFile));
    expect(r.code).toBe(0);
    // Nothing fetched unverified; only the update trust root, after acceptance, over mTLS.
    expect(paths('GET')).toEqual(['/v1/tuf/1.root.json']);
    expect(gw.requests.find((x) => x.path === '/v1/tuf/1.root.json')?.clientCn).toBe(DEVICE);
  });

  it('saves the update trust root (TUF root v1) once accepted, fetched over mTLS', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicKeyHex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    const director = {
      keyId: tufKeyId({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicKeyHex } }),
      publicKeyHex,
      sign: (bytes: Buffer) => sign(null, bytes, privateKey),
    };
    gw.tufRoot = directorRoot(director);
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'tuf', 'root.json'), 'utf8')).toBe(gw.tufRoot);
    expect(r.out).not.toContain('Could not fetch the update trust root');
  });

  it('still enrolls when the trust root cannot be fetched yet (run fetches it)', async () => {
    const r = await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Could not fetch the update trust root yet (GET /v1/tuf/1.root.json: HTTP 404)');
  });

  it('status reports the enrolled identity', async () => {
    await agent(...enrollArgs('--ca-fingerprint', fingerprint));
    const r = await agent('status', '--data-dir', dir, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ deviceId: DEVICE, status: 'accepted', server: gw.url, agent: null });
    expect(new Date(s.certificate.notAfter).getTime()).toBeGreaterThan(Date.now());
    const text = await agent('status', '--data-dir', dir);
    expect(text.out).toContain(`device:      ${DEVICE} (accepted)`);
    expect(text.out).toContain('connection:  never run');
  });
});
