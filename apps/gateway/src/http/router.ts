import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordAudit } from '@edgefleet/core/audit';
import { HTTP_STATUS, isDomainError } from '@edgefleet/core/errors';
import { enrollDevice, parseOrInvalid, pollEnrollment, renewDeviceCertificate } from '@edgefleet/core/identity/enroll';
import type { Db } from '@edgefleet/db/client';
import {
  MAX_ENROLL_BODY_BYTES,
  type TEnrollPollRequest,
  type TEnrollRequest,
  ZRenewRequest,
} from '@edgefleet/protocol/device';
import { serveArtifact } from './artifacts.ts';
import { HttpRefusal, readJsonBody } from './body.ts';
import { authenticateDevice } from './device-auth.ts';
import { pendingDiagnostics, uploadDiagnostics } from './diagnostics.ts';
import { DEFAULT_RATE_RULES, RateLimiter } from './rate-limit.ts';
import { clientIp, sendError, sendJson } from './respond.ts';
import type { DeviceHttpDeps, Route, RouteContext } from './route.ts';
import { serveTufFile } from './tuf.ts';

export type { DeviceHttpDeps } from './route.ts';

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
    handle: async (deps, req, res, { ip }) => {
      const body = (await readJsonBody(req, MAX_ENROLL_BODY_BYTES)) as TEnrollRequest;
      sendJson(res, 200, withMqttPort(deps, await enrollDevice(deps, body, { ip })));
    },
  },
  '/v1/enroll/poll': {
    method: 'POST',
    action: 'device.enroll.poll',
    handle: async (deps, req, res, { ip }) => {
      const body = (await readJsonBody(req, MAX_ENROLL_BODY_BYTES)) as TEnrollPollRequest;
      sendJson(res, 200, withMqttPort(deps, await pollEnrollment(deps, body, { ip })));
    },
  },
  '/v1/certificate/renew': { method: 'POST', action: 'device.certificate.renew', handle: renew },
  '/v1/diagnostics/pending': { method: 'GET', action: 'device.diagnostics.pending', handle: pendingDiagnostics },
};

/** Routes for a family of paths: the rest of the path (one segment, no `/`) is the handler's `param`. */
const prefixRoutes: Record<string, Route> = {
  '/v1/tuf/': { method: 'GET', action: 'device.tuf', handle: serveTufFile },
  '/v1/artifacts/': { method: 'GET', action: 'device.artifact', handle: serveArtifact },
  '/v1/diagnostics/': { method: 'POST', action: 'device.diagnostics.upload', handle: uploadDiagnostics },
};

/**
 * Tells an enrolling device the MQTT port (so it needs no `--mqtt-port` when the gateway is not on
 * 8883) and, with an external broker, its host.
 */
function withMqttPort<T extends { status: string }>(
  deps: DeviceHttpDeps,
  response: T,
): T | (T & { mqtt: { port: number; host?: string } }) {
  if (!deps.mqttPort || response.status === 'rejected') return response;
  return { ...response, mqtt: { port: deps.mqttPort, ...(deps.mqttHost ? { host: deps.mqttHost } : {}) } };
}

/** The route for a path and the key its rate limit is counted under (the path, or the prefix). */
function matchRoute(path: string): { key: string; route: Route; param: string } | null {
  const exact = routes[path];
  if (exact) return { key: path, route: exact, param: '' };
  for (const [prefix, route] of Object.entries(prefixRoutes)) {
    const param = path.startsWith(prefix) ? path.slice(prefix.length) : '';
    if (param && !param.includes('/')) return { key: prefix, route, param };
  }
  return null;
}

/** The device's current certificate is its only credential; the body is read only after it passed. */
async function renew(deps: DeviceHttpDeps, req: IncomingMessage, res: ServerResponse, { ip }: RouteContext) {
  const device = await authenticateDevice(deps, req, { action: 'device.certificate.renew', ip });
  const body = await readJsonBody(req, MAX_ENROLL_BODY_BYTES);
  let csr: string;
  try {
    ({ csr } = parseOrInvalid(ZRenewRequest, body));
  } catch (error) {
    throw new HttpRefusal(400, 'invalid', error instanceof Error ? error.message : 'invalid request');
  }
  sendJson(res, 200, await renewDeviceCertificate(deps, device, csr, { ip }));
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
    const match = matchRoute(path);
    if (!match) return sendError(res, 404, 'not_found', `No route for ${req.method} ${path}`);
    const { key, route, param } = match;
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      return sendError(res, 405, 'method_not_allowed', `${path} accepts ${route.method} only`);
    }
    const limited = limiters.get(key)?.take(ip ?? 'unknown');
    if (limited && !limited.ok) {
      res.setHeader('retry-after', String(limited.retryAfterSeconds));
      // The body is not read: close the connection rather than leave it half-consumed.
      return sendError(res, 429, 'rate_limited', `Too many requests; retry in ${limited.retryAfterSeconds} s`, true);
    }
    route.handle(deps, req, res, { ip, param }).catch(async (error: unknown) => {
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
  // 403s after a certificate check were recorded with the device as actor where the reason is known.
  if (error.status === 403) return;
  await recordAudit(db, {
    actor: { kind: 'anonymous', label: 'device http' },
    action,
    outcome: 'failure',
    detail: { status: error.status, code: error.code, error: error.message },
    ip,
  });
}
