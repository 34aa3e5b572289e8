// The gateway's device-facing downloads, for agent install tests: GET /v1/tuf/<file> (answered by
// a function, normally core's readDeviceMetadata for the client certificate's CN) and
// GET /v1/artifacts/<sha256> with Range, over mTLS with the test CA; plus faults on demand.
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TestCa } from './fleet-ca.ts';

export type ArtifactFault =
  /** Sends the head and `fraction` of the body, then destroys the socket. */
  | { kind: 'cut'; fraction: number }
  /** 200 without a length, garbage until the client gives up. */
  | { kind: 'endless' }
  /** The right length with one byte changed. */
  | { kind: 'corrupt' }
  /** Answers a Range request with the whole artifact (200), as a server without range support. */
  | { kind: 'ignore-range' }
  /** An error status instead of the artifact. */
  | { kind: 'status'; status: number };

export interface FleetServer {
  url: string;
  /** Answers /v1/tuf/<file> for the client certificate's CN; null is a 404. */
  tuf: (deviceId: string, file: string) => Promise<string | null> | string | null;
  artifacts: Map<string, Buffer>;
  /** Consumed one per artifact request (shift), so a test can fail the first N. */
  faults: ArtifactFault[];
  requests: { path: string; range?: string; clientCn: string | null }[];
  /** Bytes of artifact bodies sent, in all. */
  bytesSent: number;
  close(): Promise<void>;
}

export async function startFleetServer(ca: TestCa): Promise<FleetServer> {
  const fleet: Omit<FleetServer, 'url' | 'close'> = {
    tuf: () => null,
    artifacts: new Map(),
    faults: [],
    requests: [],
    bytesSent: 0,
  };
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
  const server: Server = createServer(
    { key: ca.server.keyPem, cert: ca.server.certPem, ca: ca.chainPem, requestCert: true, rejectUnauthorized: false },
    async (req, res) => {
      const socket = req.socket as TLSSocket;
      const clientCn = socket.authorized ? ((socket.getPeerCertificate().subject?.CN as string) ?? null) : null;
      const path = req.url ?? '';
      fleet.requests.push({ path, range: req.headers.range, clientCn });
      if (!clientCn) return send(res, 401, '{"error":"unauthorized","message":"client certificate required"}');
      const tuf = /^\/v1\/tuf\/([^/]+)$/.exec(path);
      if (tuf?.[1]) {
        const text = await fleet.tuf(clientCn, tuf[1]);
        if (text === null) return send(res, 404, '{"error":"not_found","message":"no such metadata"}');
        return send(res, 200, text);
      }
      const art = /^\/v1\/artifacts\/([0-9a-f]{64})$/.exec(path);
      const bytes = art?.[1] ? fleet.artifacts.get(art[1]) : undefined;
      if (!bytes) return send(res, 404, '{"error":"not_found","message":"no such artifact"}');
      const fault = fleet.faults.shift();
      if (fault?.kind === 'endless') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) fleet.bytesSent += chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        return pump();
      }
      if (fault?.kind === 'status') return send(res, fault.status, '{"error":"unavailable","message":"try later"}');
      const body = fault?.kind === 'corrupt' ? Buffer.from(bytes) : bytes;
      if (fault?.kind === 'corrupt') body.writeUInt8(body.readUInt8(body.length >> 1) ^ 0xff, body.length >> 1);
      const m = fault?.kind === 'ignore-range' ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        return res.end();
      }
      const slice = body.subarray(start);
      res.writeHead(m ? 206 : 200, {
        'content-type': 'application/octet-stream',
        'content-length': slice.length,
        ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (fault?.kind === 'cut') {
        const part = slice.subarray(0, Math.max(0, Math.floor(body.length * fault.fraction) - start));
        fleet.bytesSent += part.length;
        return res.write(part, () => setTimeout(() => socket.destroy(), 20));
      }
      fleet.bytesSent += slice.length;
      res.end(slice);
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fleet, {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
