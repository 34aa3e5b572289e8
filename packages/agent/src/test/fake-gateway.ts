// A stand-in for the gateway's device HTTPS endpoints, speaking the protocol schemas, for testing
// the agent's own behaviour (pinning, pending → poll, errors, renewal) without a control plane.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ZEnrollPollRequest, ZEnrollRequest, ZRenewRequest } from '@edgefleet/protocol/device';
import type { z } from 'zod';
import type { TestCa } from './fleet-ca.ts';

export interface Reply {
  status: number;
  body: unknown;
}

export interface FakeGateway {
  url: string;
  requests: { method: string; path: string; body: unknown; clientCn: string | null }[];
  /** Set per test; defaults accept at once (enroll), keep pending (poll) and renew for a year. */
  onEnroll: (req: z.infer<typeof ZEnrollRequest>) => Reply;
  onPoll: (req: z.infer<typeof ZEnrollPollRequest>) => Reply;
  onRenew: (req: z.infer<typeof ZRenewRequest>, clientCn: string) => Reply;
  /** What GET /v1/ca returns (default: the real chain). */
  caChain: string;
  /** What GET /v1/tuf/1.root.json returns to an mTLS client (default: 404). */
  tufRoot: string | null;
  close(): Promise<void>;
}

export const accepted = (ca: TestCa, deviceId: string, csrPem: string, days = 365): Reply => {
  const issued = ca.issueDevice({ deviceId, csrPem, notAfter: new Date(Date.now() + days * 86_400_000) });
  return {
    status: 200,
    body: {
      status: 'accepted',
      deviceId,
      certificate: issued.certPem,
      caChain: ca.chainPem,
      notAfter: issued.notAfter.toISOString(),
    },
  };
};

export async function startFakeGateway(ca: TestCa, deviceId = 'dev_0123456789abcdefghij'): Promise<FakeGateway> {
  const gw: Omit<FakeGateway, 'url' | 'close'> = {
    requests: [],
    caChain: ca.chainPem,
    tufRoot: null,
    onEnroll: (req) => accepted(ca, deviceId, req.csr),
    onPoll: (req) => ({ status: 200, body: { status: 'pending', deviceId: req.deviceId, retryAfterSeconds: 1 } }),
    onRenew: (req, cn) => {
      const { body } = accepted(ca, cn, req.csr);
      const { status: _s, deviceId: _d, ...issued } = body as Record<string, unknown>;
      return { status: 200, body: issued };
    },
  };
  const server: Server = createServer(
    { key: ca.server.keyPem, cert: ca.server.certPem, ca: ca.chainPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const socket = req.socket as TLSSocket;
        const clientCn = socket.authorized ? ((socket.getPeerCertificate().subject?.CN as string) ?? null) : null;
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text ? JSON.parse(text) : null;
        gw.requests.push({ method: req.method ?? '', path: req.url ?? '', body, clientCn });
        const send = ({ status, body: out }: Reply) => {
          const payload = typeof out === 'string' ? out : JSON.stringify(out);
          res.writeHead(status, { 'content-type': typeof out === 'string' ? 'text/plain' : 'application/json' });
          res.end(payload);
        };
        const invalid = (e: z.ZodError) =>
          send({ status: 400, body: { error: 'invalid', message: e.issues[0]!.message } });
        if (req.method === 'GET' && req.url === '/v1/ca') return send({ status: 200, body: gw.caChain });
        if (req.method === 'GET' && req.url === '/v1/tuf/1.root.json' && clientCn && gw.tufRoot) {
          return send({ status: 200, body: gw.tufRoot });
        }
        if (req.method === 'POST' && req.url === '/v1/enroll') {
          const parsed = ZEnrollRequest.safeParse(body);
          return parsed.success ? send(gw.onEnroll(parsed.data)) : invalid(parsed.error);
        }
        if (req.method === 'POST' && req.url === '/v1/enroll/poll') {
          const parsed = ZEnrollPollRequest.safeParse(body);
          return parsed.success ? send(gw.onPoll(parsed.data)) : invalid(parsed.error);
        }
        if (req.method === 'POST' && req.url === '/v1/certificate/renew') {
          if (!clientCn)
            return send({ status: 401, body: { error: 'unauthorized', message: 'client certificate required' } });
          const parsed = ZRenewRequest.safeParse(body);
          return parsed.success ? send(gw.onRenew(parsed.data, clientCn)) : invalid(parsed.error);
        }
        send({ status: 404, body: { error: 'not_found', message: `No route for ${req.method} ${req.url}` } });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(gw, {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
