import { loadEnv } from '@edgefleet/config/env';
import { metricsResponse, webMetrics } from '@/server/metrics';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Prometheus scrape endpoint for the dashboard process (tRPC and route-handler requests, Node
 * process metrics). Outside the sign-in redirect (proxy.ts); EDGEFLEET_METRICS_TOKEN guards it.
 */
export function GET(req: Request) {
  return metricsResponse(req, webMetrics().registry, loadEnv().EDGEFLEET_METRICS_TOKEN);
}
