import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { recordAudit } from '@edgefleet/core/audit';
import { checkDeviceCertificate } from '@edgefleet/core/devices/session';
import { HTTP_STATUS, isDomainError } from '@edgefleet/core/errors';
import {
  type EnrollDeps,
  enrollDevice,
  parseOrInvalid,
  pollEnrollment,
  renewDeviceCertificate,
} from '@edgefleet/core/identity/enroll';
import type { FleetPki } from '@edgefleet/core/pki';
import type { Clock } from '@edgefleet/core/tokens';
import type { Db } from '@edgefleet/db/client';
import {
  MAX_ENROLL_BODY_BYTES,
  type TEnrollPollRequest,
  type TEnrollRequest,
  ZRenewRequest,
} from '@edgefleet/protocol/device';
import { HttpRefusal, readJsonBody } from './body.ts';
import { DEFAULT_RATE_RULES, RateLimiter, type RateRule } from './rate-limit.ts';
import { clientIp, sendError, sendJson } from './respond.ts';

export interface DeviceHttpDeps {
  db: Db;
  pki: FleetPki;
  clock?: Clock;
  certValidityDays?: number;
  /** Per-address request limits by route; defaults to DEFAULT_RATE_RULES. */
  rateRules?: Record<string, RateRule>;
}

type Handler = (deps: EnrollDeps, req: IncomingMessage, res: ServerResponse, ip: string | null) => Promise<void>;

interface Route {
  method: 'GET' | 'POST';
  /** Audit action for refusals the HTTP layer makes itself (body too large, not JSON). */
  action: string;
  handle: Handler;
}

const routes: Record<string, Route> = {
  '/v1/ca': {
    method: 'GET',
    action: 'device.ca',
    handle: async (deps, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(deps.pki.caChainPem);
    },
  },
  '/v1/enroll': {
    method: 'POST',
    action: 'device.enroll',
    // Core validates the body against ZEnrollRequest (and audits a refusal), so it is passed as read.
    handle: async (deps, req, res, ip) => {
      const body = (await readJsonBody(req, MAX_ENROLL_BODY_BYTES)) as TEnrollRequest;
      sendJson(res, 200, await enrollDevice(deps, body, { ip }));
    },
  },
  '/v1/enroll/poll': {
    method: 'POST',
    action: 'device.enroll.poll',
    handle: async (deps, req, res, ip) => {
      const body = (await readJsonBody(req, MAX_ENROLL_BODY_BYTES)) as TEnrollPollRequest;
      sendJson(res, 200, await pollEnrollment(deps, body, { ip }));
    },
  },
  '/v1/certificate/renew': { method: 'POST', action: 'device.certificate.renew', handle: renew },
};

/**
 * The device's current certificate is its only credential here. TLS has verified it against the
 * fleet chain (the server requests but does not require client certificates, so enrollment
 * works without one); core then checks it is this device's, in force and not revoked. The body
 * is read only after that.
 */
async function renew(deps: EnrollDeps, req: IncomingMessage, res: ServerResponse, ip: string | null) {
  const socket = req.socket as Partial<TLSSocket>;
  const peer = socket.authorized && socket.getPeerCertificate ? socket.getPeerCertificate() : null;
  const deviceId = peer?.subject?.CN;
  const serial = peer?.serialNumber?.toLowerCase();
  if (!deviceId || !serial || typeof deviceId !== 'string') {
    throw new HttpRefusal(401, 'unauthorized', 'a client certificate issued by the fleet CA is required');
  }
  const check = await checkDeviceCertificate(deps.db, { deviceId, serial, now: deps.clock?.now() });
  if (!check.ok) {
    await recordAudit(deps.db, {
      actor: { kind: 'device', deviceId },
      action: 'device.certificate.renew',
      target: { type: 'device', id: deviceId },
      outcome: 'failure',
      detail: { serial, error: check.reason },
      ip,
    });
    throw new HttpRefusal(403, 'forbidden', `certificate refused: ${check.reason}`);
  }
  const body = await readJsonBody(req, MAX_ENROLL_BODY_BYTES);
  let csr: string;
  try {
    ({ csr } = parseOrInvalid(ZRenewRequest, body));
  } catch (error) {
    throw new HttpRefusal(400, 'invalid', error instanceof Error ? error.message : 'invalid request');
  }
  sendJson(res, 200, await renewDeviceCertificate(deps, { deviceId, serial }, csr, { ip }));
}

/** The gateway's device-facing HTTPS API. Mounted by server.ts, which keeps /healthz itself. */
export function createDeviceHttpHandler(deps: DeviceHttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const limiters = new Map(
    Object.entries(deps.rateRules ?? DEFAULT_RATE_RULES).map(([path, rule]) => [
      path,
      new RateLimiter(rule, deps.clock),
    ]),
  );
  return (req, res) => {
    const ip = clientIp(req);
    const path = new URL(req.url ?? '/', 'https://gateway').pathname;
    const route = routes[path];
    if (!route) return sendError(res, 404, 'not_found', `No route for ${req.method} ${path}`);
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      return sendError(res, 405, 'method_not_allowed', `${path} accepts ${route.method} only`);
    }
    const limited = limiters.get(path)?.take(ip ?? 'unknown');
    if (limited && !limited.ok) {
      res.setHeader('retry-after', String(limited.retryAfterSeconds));
      // The body is not read: close the connection rather than leave it half-consumed.
      return sendError(res, 429, 'rate_limited', `Too many requests; retry in ${limited.retryAfterSeconds} s`, true);
    }
    route.handle(deps, req, res, ip).catch(async (error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (isDomainError(error)) {
        // Core has already written its refusals to the audit log.
        return sendError(res, HTTP_STATUS[error.code], error.code.toLowerCase(), error.message);
      }
      if (error instanceof HttpRefusal) {
        const unread = error.status === 413 || !req.complete;
        await auditRefusal(deps.db, route.action, ip, error).catch(() => {});
        return sendError(res, error.status, error.code, error.message, unread);
      }
      console.error(`gateway: ${req.method} ${path} failed`, error);
      sendError(res, 500, 'internal', 'internal error');
    });
  };
}

async function auditRefusal(db: Db, action: string, ip: string | null, error: HttpRefusal) {
  // 403s on renew were recorded with the device as actor where the reason is known.
  if (error.status === 403) return;
  await recordAudit(db, {
    actor: { kind: 'anonymous', label: 'device http' },
    action,
    outcome: 'failure',
    detail: { status: error.status, code: error.code, error: error.message },
    ip,
  });
}
