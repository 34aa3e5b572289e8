import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { ClientRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEnrollmentToken } from '@edgefleet/core/identity/enrollment-tokens';
import {
  enrollRequest,
  makeTestCsr,
  makeTestKey,
  tamperCsrSignature,
  testOperator,
} from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { MAX_ENROLL_BODY_BYTES } from '@edgefleet/protocol/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceHttpHandler } from './router.ts';

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the shapes they assert on
  body: any;
  text: string;
}

describe.each(testDatabaseKinds())('device HTTPS API on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 's'.repeat(40), publicHost: 'localhost' });
    server = createHttpsServer(
      {
        key: pki.gateway.keyPem,
        cert: pki.gateway.certPem + pki.issuingCertPem,
        ca: pki.caChainPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      createDeviceHttpHandler({ db: t.db, pki }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  function open(method: string, path: string, opts: { client?: { key: string; cert: string } } = {}) {
    return httpsRequest({
      host: '127.0.0.1',
      port,
      method,
      path,
      ca: pki.caChainPem,
      servername: 'localhost',
      ...(opts.client ?? {}),
      headers: { 'content-type': 'application/json' },
    });
  }
  function reply(req: ClientRequest): Promise<Reply> {
    return new Promise((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      });
    });
  }
  const call = (method: string, path: string, body?: string | object, client?: { key: string; cert: string }) => {
    const req = open(method, path, { client });
    const pending = reply(req);
    req.end(typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body));
    return pending;
  };

  const state = async () => ({
    devices: await t.db.device.count(),
    uses: await t.db.enrollmentToken.aggregate({ _sum: { uses: true } }).then((a) => a._sum.uses ?? 0),
    failures: await t.db.auditEvent.count({ where: { outcome: 'failure' } }),
  });
  /** The request is refused with `status`/`error`, audited once, and changes nothing else. */
  async function expectRefused(run: () => Promise<Reply>, status: number, error: string, message?: RegExp) {
    const before = await state();
    const res = await run();
    expect(res.status, res.text).toBe(status);
    expect(res.body).toMatchObject({ error, message: message ? expect.stringMatching(message) : expect.any(String) });
    expect(await state()).toEqual({ ...before, failures: before.failures + 1 });
    const [row] = await t.db.auditEvent.findMany({ orderBy: { id: 'desc' }, take: 1 });
    expect(row).toMatchObject({ outcome: 'failure', ip: '127.0.0.1' });
    return res;
  }
  const token = async (input: { autoApprove?: boolean; preauthorizedOnly?: boolean; maxUses?: number } = {}) =>
    (await createEnrollmentToken(t.db, testOperator, { group: 'lab', ...input })).token;

  it('serves the CA chain as text', async () => {
    const res = await call('GET', '/v1/ca');
    expect(res.status).toBe(200);
    expect(res.text).toBe(pki.caChainPem);
  });

  it('enrolls with an auto-approve token and renews over mTLS with the issued certificate', async () => {
    const key = makeTestKey();
    const res = await call('POST', '/v1/enroll', enrollRequest(await token({ autoApprove: true }), { key }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'accepted', deviceId: expect.stringMatching(/^dev_/) });
    const cert = new X509Certificate(res.body.certificate);
    expect(cert.subject).toBe(`CN=${res.body.deviceId}`);

    const renewed = await call(
      'POST',
      '/v1/certificate/renew',
      { v: 1, csr: makeTestCsr() },
      {
        key: key.keyPem,
        cert: res.body.certificate,
      },
    );
    expect(renewed.status, renewed.text).toBe(200);
    expect(new X509Certificate(renewed.body.certificate).subject).toBe(`CN=${res.body.deviceId}`);
    expect(await t.db.deviceCertificate.count({ where: { deviceId: res.body.deviceId } })).toBe(2);
  });

  it('pending enrollment answers with a poll secret; the poll answers pending', async () => {
    const res = await call('POST', '/v1/enroll', enrollRequest(await token()));
    expect(res.body).toMatchObject({ status: 'pending', pollSecret: expect.stringMatching(/^efp_/) });
    const poll = await call('POST', '/v1/enroll/poll', {
      v: 1,
      deviceId: res.body.deviceId,
      pollSecret: res.body.pollSecret,
    });
    expect(poll.body).toMatchObject({ status: 'pending', retryAfterSeconds: expect.any(Number) });
    expect(poll.body.pollSecret).toBeUndefined();
  });

  it('refuses an unknown token with 401', async () => {
    await expectRefused(() => call('POST', '/v1/enroll', enrollRequest('efe_unknown')), 401, 'unauthorized', /unknown/);
  });

  it('refuses unknown hardware on a preauthorizedOnly token with 403', async () => {
    const secret = await token({ preauthorizedOnly: true, autoApprove: true });
    await expectRefused(() => call('POST', '/v1/enroll', enrollRequest(secret)), 403, 'forbidden', /pre-authorized/);
  });

  it('refuses a replayed request with 409 and counts the token use once', async () => {
    const body = enrollRequest(await token({ autoApprove: true }));
    expect((await call('POST', '/v1/enroll', body)).status).toBe(200);
    await expectRefused(() => call('POST', '/v1/enroll', body), 409, 'conflict', /already enrolled/);
  });

  it('refuses a tampered CSR and a weak key with 400', async () => {
    const secret = await token({ autoApprove: true });
    const tampered = enrollRequest(secret, { csr: tamperCsrSignature(makeTestCsr()) });
    await expectRefused(() => call('POST', '/v1/enroll', tampered), 400, 'invalid', /signature/);
    const weak = enrollRequest(secret, { csr: makeTestCsr(makeTestKey(1024)) });
    await expectRefused(() => call('POST', '/v1/enroll', weak), 400, 'invalid', /2048/);
  });

  it('refuses malformed JSON and a body of the wrong shape with 400', async () => {
    await expectRefused(() => call('POST', '/v1/enroll', '{"v":1,'), 400, 'invalid', /not valid JSON/);
    await expectRefused(() => call('POST', '/v1/enroll', { v: 1, token: 'efe_x' }), 400, 'invalid', /csr/);
    await expectRefused(() => call('POST', '/v1/enroll/poll', []), 400, 'invalid');
  });

  it('refuses a body declared larger than the limit with 413 without reading it', async () => {
    const big = JSON.stringify({ v: 1, token: 'x', csr: 'a'.repeat(MAX_ENROLL_BODY_BYTES), facts: {} });
    await expectRefused(() => call('POST', '/v1/enroll', big), 413, 'payload_too_large');
  });

  it('stops reading a streamed (chunked) body once it passes the limit', async () => {
    await expectRefused(
      async () => {
        const req = open('POST', '/v1/enroll');
        const pending = reply(req);
        let answered = false;
        pending.finally(() => {
          answered = true;
        });
        const chunk = Buffer.alloc(16 * 1024, 'a');
        let written = 0;
        // Keep sending until the server answers; it must answer long before 64 MiB.
        while (!answered && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!req.write(chunk)) await Promise.race([once(req, 'drain'), pending.catch(() => {})]);
        }
        const res = await pending;
        req.destroy();
        expect(written).toBeLessThan(8 * 1024 * 1024);
        return res;
      },
      413,
      'payload_too_large',
    );
  });

  it('refuses renewal without a client certificate (401) and with a revoked one (403)', async () => {
    await expectRefused(
      () => call('POST', '/v1/certificate/renew', { v: 1, csr: makeTestCsr() }),
      401,
      'unauthorized',
      /client certificate/,
    );
    const key = makeTestKey();
    const res = await call('POST', '/v1/enroll', enrollRequest(await token({ autoApprove: true }), { key }));
    await t.db.deviceCertificate.updateMany({
      where: { deviceId: res.body.deviceId },
      data: { revokedAt: new Date() },
    });
    await expectRefused(
      () =>
        call(
          'POST',
          '/v1/certificate/renew',
          { v: 1, csr: makeTestCsr() },
          { key: key.keyPem, cert: res.body.certificate },
        ),
      403,
      'forbidden',
      /revoked/,
    );
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    expect((await call('GET', '/v1/nope')).status).toBe(404);
    const wrong = await call('GET', '/v1/enroll');
    expect(wrong.status).toBe(405);
    expect(wrong.body).toMatchObject({ error: 'method_not_allowed' });
  });
});
