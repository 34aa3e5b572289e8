import { expect, test } from '@playwright/test';
import { GATEWAY_METRICS_PORT } from './fixtures';

// The running control plane's Prometheus endpoints, as a scraper sees them (no session cookie).
test('the dashboard serves /metrics without sign-in and counts tRPC calls by procedure', async ({ request }) => {
  const call = await request.get('/api/trpc/system.health', { headers: { 'x-request-id': 'e2e-metrics-1' } });
  expect(call.status()).toBe(200);
  expect(call.headers()['x-request-id']).toBe('e2e-metrics-1');

  const res = await request.get('/metrics', { maxRedirects: 0 });
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  expect(text).toMatch(/^edgefleet_web_trpc_requests_total\{procedure="system\.health",status="200"\} [1-9]/m);
  expect(text).toMatch(/^edgefleet_web_http_requests_total\{route="health",method="GET",status="200"\} [1-9]/m);
  expect(text).toContain('process_resident_memory_bytes');
});

test("the gateway's metrics listener reports MQTT connections and the rollout engine", async ({ request }) => {
  const url = `http://127.0.0.1:${GATEWAY_METRICS_PORT}/metrics`;
  await expect
    .poll(async () => (await (await request.get(url)).text()).match(/^edgefleet_engine_leader (\d)/m)?.[1])
    .toBe('1');
  const text = await (await request.get(url)).text();
  expect(text).toMatch(/^edgefleet_mqtt_connections \d+$/m);
  expect(text).toMatch(/^edgefleet_engine_ticks_total [1-9]/m);
  expect(text).toMatch(/^edgefleet_device_http_requests_total\{route="healthz",method="GET",status="200"\} [1-9]/m);
});
