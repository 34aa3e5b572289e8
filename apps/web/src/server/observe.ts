import { randomUUID } from 'node:crypto';
import type { Principal } from '@edgefleet/core/access';
import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { type Logger, webLogger } from './log.ts';
import { type WebMetrics, webMetrics } from './metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
// Printable, no spaces or quotes that could forge a log field; long enough for a UUID or a trace id.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is one we can log safely, else a fresh one. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Who called, for logs: an id, never the token, cookie or session secret. */
export function principalLabel(principal: Principal | null): string | null {
  if (!principal) return null;
  return principal.kind === 'user' ? `user:${principal.userId}` : `token:${principal.tokenId}`;
}

/**
 * The procedures a tRPC request names (`/api/trpc/a.b,c.d`), as metric labels: a name the
 * router does not have becomes "unknown", so callers cannot mint time series.
 */
export function procedureLabels(url: string, known: ReadonlySet<string>): string[] {
  const path = new URL(url).pathname;
  const rest = path.slice(path.indexOf('/api/trpc/') + '/api/trpc/'.length);
  if (!path.includes('/api/trpc/') || !rest) return ['unknown'];
  return rest.split(',').map((raw) => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return 'unknown';
    }
    return known.has(name) ? name : 'unknown';
  });
}

/** A response carrying the request id; copies it when its headers are immutable. */
function withRequestId(res: Response, requestId: string): Response {
  try {
    res.headers.set(REQUEST_ID_HEADER, requestId);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(REQUEST_ID_HEADER, requestId);
    return copy;
  }
}

interface Observers {
  metrics?: WebMetrics;
  logger?: Logger;
}

/** What the tRPC handler reports back while it runs. */
export interface TrpcCall {
  requestId: string;
  setPrincipal(principal: Principal | null): void;
  /** tRPC's onError: one per failed procedure. */
  failed(path: string | undefined, error: TRPCError): void;
}

/**
 * Around one tRPC HTTP request (possibly a batch): request id in and out, one log line, and
 * per-procedure counts and durations. Internal errors get a line of their own with the stack.
 */
export async function observeTrpcRequest(
  req: Request,
  known: ReadonlySet<string>,
  handle: (call: TrpcCall) => Promise<Response>,
  { metrics = webMetrics(), logger = webLogger() }: Observers = {},
): Promise<Response> {
  const started = performance.now();
  const requestId = requestIdFrom(req.headers.get(REQUEST_ID_HEADER));
  const procedures = procedureLabels(req.url, known);
  const errors = new Map<string, { status: number; code: string }>();
  let principal: string | null = null;
  const call: TrpcCall = {
    requestId,
    setPrincipal: (p) => {
      principal = principalLabel(p);
    },
    failed: (path, error) => {
      const procedure = path && known.has(path) ? path : 'unknown';
      errors.set(procedure, { status: getHTTPStatusCodeFromError(error), code: error.code });
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        logger.error({ requestId, procedure, principal, err: error.cause ?? error }, 'trpc procedure failed');
      }
    },
  };
  let res: Response;
  try {
    res = await handle(call);
  } catch (e) {
    logger.error({ requestId, procedures, principal, err: e }, 'trpc request failed');
    res = Response.json({ error: { message: 'Internal server error' } }, { status: 500 });
  }
  const seconds = (performance.now() - started) / 1000;
  // A refusal before any procedure ran (403 cross-site) applies to each of them.
  for (const p of procedures)
    metrics.observeProcedure(p, errors.get(p)?.status ?? (res.ok ? 200 : res.status), seconds);
  const line = {
    requestId,
    method: req.method,
    procedures,
    status: res.status,
    durationMs: Math.round(seconds * 10_000) / 10,
    principal,
    ...(errors.size ? { errors: [...errors].map(([procedure, e]) => ({ procedure, code: e.code })) } : {}),
  };
  if (res.status >= 500) logger.error(line, 'trpc request');
  else logger.info(line, 'trpc request');
  return withRequestId(res, requestId);
}

/**
 * The same for a plain route handler (registry uploads and downloads, health): request id,
 * counts by status, one log line (at `level`: health is polled constantly, so debug there).
 */
export function observeRoute(
  route: string,
  handler: (req: Request) => Promise<Response>,
  opts: Observers & { level?: 'debug' | 'info' } = {},
): (req: Request) => Promise<Response> {
  return async (req) => {
    const { metrics = webMetrics(), logger = webLogger() } = opts;
    const started = performance.now();
    const requestId = requestIdFrom(req.headers.get(REQUEST_ID_HEADER));
    let res: Response;
    try {
      res = await handler(req);
    } catch (e) {
      logger.error({ requestId, route, err: e }, 'request failed');
      res = Response.json({ error: 'internal', message: 'internal error' }, { status: 500 });
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.observeRoute(route, req.method, res.status, seconds);
    const line = {
      requestId,
      method: req.method,
      route,
      path: new URL(req.url).pathname.slice(0, 200),
      status: res.status,
      durationMs: Math.round(seconds * 10_000) / 10,
    };
    if (res.status >= 500) logger.error(line, 'request');
    else logger[opts.level ?? 'info'](line, 'request');
    return withRequestId(res, requestId);
  };
}
