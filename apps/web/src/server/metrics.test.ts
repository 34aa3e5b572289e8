import { describe, expect, it } from 'vitest';
import { createWebMetrics, metricsResponse, webMetrics } from './metrics.ts';

const TOKEN = 'metrics-token-0123456789';
const scrape = (headers: Record<string, string> = {}) => new Request('http://127.0.0.1:3000/metrics', { headers });

describe('GET /metrics (the route handler)', () => {
  it('answers Prometheus text with what was observed', async () => {
    const m = createWebMetrics({ defaultMetrics: false });
    m.observeProcedure('devices.list', 200, 0.02);
    m.observeProcedure('devices.list', 401, 0.01);
    m.observeRoute('registry', 'PUT', 201, 0.5);
    const res = await metricsResponse(scrape(), m.registry, undefined);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE edgefleet_web_trpc_requests_total counter');
    expect(text).toContain('edgefleet_web_trpc_requests_total{procedure="devices.list",status="200"} 1');
    expect(text).toContain('edgefleet_web_trpc_requests_total{procedure="devices.list",status="401"} 1');
    expect(text).toContain('edgefleet_web_trpc_request_duration_seconds_count{procedure="devices.list"} 2');
    expect(text).toContain('edgefleet_web_http_requests_total{route="registry",method="PUT",status="201"} 1');
  });

  it('requires the bearer token when one is configured', async () => {
    const m = createWebMetrics({ defaultMetrics: false });
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
    ]) {
      const res = await metricsResponse(scrape(headers), m.registry, TOKEN);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain('edgefleet_');
    }
    const ok = await metricsResponse(scrape({ authorization: `Bearer ${TOKEN}` }), m.registry, TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('edgefleet_web_trpc_requests_total');
  });

  it('keeps one registry per process, with Node process metrics', async () => {
    expect(webMetrics()).toBe(webMetrics());
    const text = await (await metricsResponse(scrape(), webMetrics().registry, undefined)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });
});
