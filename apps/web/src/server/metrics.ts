import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface WebMetrics {
  registry: Registry;
  /** One tRPC procedure call (a batch counts each of its procedures). */
  observeProcedure(procedure: string, status: number, seconds: number): void;
  /** One request to a route handler other than tRPC (registry, health). */
  observeRoute(route: string, method: string, status: number, seconds: number): void;
}

export function createWebMetrics(opts: { defaultMetrics?: boolean } = {}): WebMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const procedures = new Counter({
    name: 'edgefleet_web_trpc_requests_total',
    help: 'tRPC procedure calls by procedure and HTTP status (unknown names count as "unknown").',
    labelNames: ['procedure', 'status'],
    registers,
  });
  const procedureSeconds = new Histogram({
    name: 'edgefleet_web_trpc_request_duration_seconds',
    help: 'Duration of the HTTP request that carried each tRPC procedure call.',
    labelNames: ['procedure'],
    buckets: DURATION_BUCKETS_S,
    registers,
  });
  const routes = new Counter({
    name: 'edgefleet_web_http_requests_total',
    help: 'Requests to the registry and health route handlers by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const routeSeconds = new Histogram({
    name: 'edgefleet_web_http_request_duration_seconds',
    help: 'Time to the response headers of registry and health requests (streamed bodies continue after).',
    labelNames: ['route'],
    buckets: DURATION_BUCKETS_S,
    registers,
  });
  return {
    registry,
    observeProcedure(procedure, status, seconds) {
      procedures.inc({ procedure, status: String(status) });
      procedureSeconds.observe({ procedure }, seconds);
    },
    observeRoute(route, method, status, seconds) {
      const m = ['GET', 'HEAD', 'POST', 'PUT'].includes(method) ? method : 'other';
      routes.inc({ route, method: m, status: String(status) });
      routeSeconds.observe({ route }, seconds);
    },
  };
}

// Next evaluates a server module once per route bundle that imports it, so a module-level
// registry would split the counts (and register process metrics twice): keep one per process.
const g = globalThis as typeof globalThis & { __edgefleetWebMetrics?: WebMetrics };
export function webMetrics(): WebMetrics {
  g.__edgefleetWebMetrics ??= createWebMetrics();
  return g.__edgefleetWebMetrics;
}

/** Constant-time comparison; hashing first makes the lengths equal and hides the token's. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * `GET /metrics`. Open when no token is configured (the default `npm start` on one machine);
 * with EDGEFLEET_METRICS_TOKEN set, only `Authorization: Bearer <token>` gets through.
 */
export async function metricsResponse(req: Request, registry: Registry, token: string | undefined): Promise<Response> {
  if (token) {
    const header = req.headers.get('authorization') ?? '';
    const given = /^bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
    if (!sameSecret(given, token)) {
      return new Response('unauthorized\n', {
        status: 401,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
  }
  return new Response(await registry.metrics(), {
    status: 200,
    headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
  });
}
