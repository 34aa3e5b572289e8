import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Route classes for metrics and logs: a fixed, small set, so a device (or a scanner) requesting
 * arbitrary paths cannot grow the number of time series.
 */
export const ROUTE_CLASSES = ['healthz', 'ca', 'enroll', 'renew', 'tuf', 'artifacts', 'diagnostics', 'other'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export function routeClass(path: string): RouteClass {
  if (path === '/healthz') return 'healthz';
  if (path === '/v1/ca') return 'ca';
  if (path === '/v1/enroll' || path === '/v1/enroll/poll') return 'enroll';
  if (path === '/v1/certificate/renew') return 'renew';
  if (path.startsWith('/v1/tuf/')) return 'tuf';
  if (path.startsWith('/v1/artifacts/')) return 'artifacts';
  if (path === '/v1/diagnostics' || path.startsWith('/v1/diagnostics/')) return 'diagnostics';
  return 'other';
}

/** One finished (or aborted) device request, as logged and counted. */
export interface DeviceRequestRecord {
  requestId: string;
  method: string;
  route: RouteClass;
  /** The path without the query, cut at 200 characters (for the log; metrics use `route`). */
  path: string;
  /** The response status; 0 when the client went away before a response was sent. */
  status: number;
  durationMs: number;
  /** The device the TLS-verified client certificate names (core may still refuse it); null without one. */
  deviceId: string | null;
}

export const REQUEST_ID_HEADER = 'x-request-id';
// Printable, no spaces or separators that could forge a log field; long enough for a UUID or a trace id.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is one we can log safely, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined | null): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

function certificateDeviceId(req: IncomingMessage): string | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.authorized || !socket.getPeerCertificate) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn ? cn : null;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps the device HTTPS handler: gives every request an id (echoed in `x-request-id` before
 * any handler writes), and reports it once when the response finishes or the connection closes.
 */
export function observeDeviceRequests(handler: Handler, onRequest: (r: DeviceRequestRecord) => void): Handler {
  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      try {
        const path = new URL(req.url ?? '/', 'https://gateway').pathname;
        onRequest({
          requestId,
          method: req.method ?? 'GET',
          route: routeClass(path),
          path: path.slice(0, 200),
          status: res.headersSent ? res.statusCode : 0,
          durationMs: performance.now() - started,
          deviceId: certificateDeviceId(req),
        });
      } catch {
        // Observation must never break serving.
      }
    };
    res.once('finish', report);
    res.once('close', report);
    handler(req, res);
  };
}
