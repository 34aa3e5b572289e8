// The gateway's own observability, wired as main.ts wires it: Prometheus text on the metrics
// listener (MQTT connections, engine ticks, ingest, device HTTP requests) and the request-id'd
// access log.
import { request } from 'node:https';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import { LATENCY_BUCKETS_MS, type TTelemetry } from '@edgefleet/protocol/telemetry';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLogger, logDeviceRequest, logFunction } from './log.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import { closeQuietly, newDeviceConnection } from './mqtt/testing.ts';
import type { Gateway } from './server.ts';
import { startTestGateway } from './testing.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function deviceGet(port: number, pki: FleetPki, path: string, headers: Record<string, string>, device?: SeededDevice) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        headers,
        ca: pki.caChainPem,
        servername: 'localhost',
        ...(device ? { key: device.keyPem, cert: device.certPem } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `name{labels} value` lines of the Prometheus text format, keyed by `name{labels}`. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

function telemetry(seq: number): TTelemetry {
  return {
    v: PROTOCOL_VERSION,
    seq,
    ts: new Date().toISOString(),
    intervalSeconds: 10,
    system: {
      cpuPercent: 12.5,
      memoryUsedBytes: 1_000_000,
      memoryTotalBytes: 4_000_000,
      diskUsedBytes: 10,
      diskTotalBytes: 100,
      uptimeSeconds: 60,
      agentRssBytes: 50_000,
      agentVersion: '0.1.0',
    },
    inference: [
      {
        model: 'detector',
        version: '1.0.0',
        requests: 3,
        errors: 0,
        latencyCounts: Array.from({ length: LATENCY_BUCKETS_MS.length + 1 }, (_, i) => (i === 5 ? 3 : 0)),
        latencySumMs: 12,
      },
    ],
    dropped: 0,
  };
}

describe('gateway metrics and request logs', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let gw: Gateway;
  let metrics: GatewayMetrics;
  let server: MetricsServer;
  const lines: Record<string, unknown>[] = [];
  const open: mqtt.MqttClientConnection[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    pki = await loadOrCreateFleetPki(t.db, { secret: 'm'.repeat(40), publicHost: 'localhost' });
    const logger = createGatewayLogger({
      level: 'info',
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
    });
    const requestLog = logDeviceRequest(logger.child({ component: 'http' }));
    metrics = createGatewayMetrics();
    gw = await startTestGateway(t.db, pki, {
      engine: { databaseUrl: t.url, tickMs: 50, retryMs: 100 },
      log: logFunction(logger),
      onDeviceRequest: (r) => {
        metrics.observeDeviceRequest(r);
        requestLog(r);
      },
      onIngestCommitted: (lagsMs) => metrics.observeIngestLag(lagsMs),
    });
    metrics.attach(gw);
    server = await startMetricsServer({ registry: metrics.registry, port: 0, bind: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map(closeQuietly));
    await server?.close();
    await gw?.close();
    await t?.close();
  });

  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };
  const connect = async (d: SeededDevice) => {
    const c = newDeviceConnection({ port: gw.mqttPort, caChainPem: pki.caChainPem, clientId: d.deviceId, ...d });
    open.push(c);
    await c.connect();
    return c;
  };

  it('serves Prometheus text with process metrics, and nothing but /metrics', async () => {
    const values = await scrape();
    expect(values.get('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(values.has('edgefleet_ingest_lag_seconds_count')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts MQTT connections, and the rollout engine leading and ticking', async () => {
    expect((await scrape()).get('edgefleet_mqtt_connections')).toBe(0);
    const d = await seedTestDevice(t.db, pki);
    const c = await connect(d);
    await expect.poll(async () => (await scrape()).get('edgefleet_mqtt_connections')).toBe(1);
    await closeQuietly(c);
    await expect.poll(async () => (await scrape()).get('edgefleet_mqtt_connections')).toBe(0);

    await expect.poll(async () => (await scrape()).get('edgefleet_engine_leader')).toBe(1);
    await expect.poll(async () => (await scrape()).get('edgefleet_engine_ticks_total')).toBeGreaterThanOrEqual(2);
    expect((await scrape()).get('edgefleet_engine_ticks_total')).toBeLessThanOrEqual(gw.engineTicks());
  });

  it('counts ingested, rejected and committed telemetry and observes the ingest lag', async () => {
    const d = await seedTestDevice(t.db, pki);
    const c = await connect(d);
    await c.publish(topics.telemetry(d.deviceId), JSON.stringify(telemetry(1)), mqtt.QoS.AtLeastOnce);
    await c.publish(topics.telemetry(d.deviceId), 'not json', mqtt.QoS.AtLeastOnce);
    await expect.poll(async () => (await scrape()).get('edgefleet_ingest_written_total')).toBe(1);
    const values = await scrape();
    expect(values.get('edgefleet_ingest_received_total')).toBe(2);
    expect(values.get('edgefleet_ingest_rejected_total{reason="not_json"}')).toBe(1);
    expect(values.get('edgefleet_ingest_rejected_total{reason="buffer_full"}')).toBe(0);
    expect(values.get('edgefleet_ingest_buffer_messages')).toBe(0);
    expect(values.get('edgefleet_ingest_buffer_limit_messages')).toBeGreaterThan(0);
    expect(values.get('edgefleet_ingest_lag_seconds_count')).toBe(1);
    expect(values.get('edgefleet_ingest_lag_seconds_bucket{le="+Inf"}')).toBe(1);
  });

  it('counts device HTTPS requests by route class and status, and logs each with its request id', async () => {
    const before =
      (await scrape()).get('edgefleet_device_http_requests_total{route="ca",method="GET",status="200"}') ?? 0;
    const ca = await deviceGet(gw.devicePort, pki, '/v1/ca', { 'x-request-id': 'probe-42.a:b' });
    expect(ca.status).toBe(200);
    expect(ca.headers['x-request-id']).toBe('probe-42.a:b');
    // A header that could forge log fields is replaced by a fresh id.
    const odd = await deviceGet(gw.devicePort, pki, '/v1/nope/%22x', { 'x-request-id': 'a b"c' });
    expect(odd.status).toBe(404);
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Without a director the TUF routes answer 503: logged at level error, with the certificate's device.
    const d = await seedTestDevice(t.db, pki);
    const tuf = await deviceGet(gw.devicePort, pki, '/v1/tuf/timestamp.json', {}, d);
    expect(tuf.status).toBe(503);

    const values = await scrape();
    expect(values.get('edgefleet_device_http_requests_total{route="ca",method="GET",status="200"}')).toBe(before + 1);
    expect(values.get('edgefleet_device_http_requests_total{route="other",method="GET",status="404"}')).toBe(1);
    expect(values.get('edgefleet_device_http_requests_total{route="tuf",method="GET",status="503"}')).toBe(1);
    expect(values.get('edgefleet_device_http_request_duration_seconds_count{route="ca"}')).toBe(before + 1);

    const requests = lines.filter((l) => l.msg === 'device request');
    expect(requests).toContainEqual(
      expect.objectContaining({
        service: 'gateway',
        component: 'http',
        level: 'info',
        requestId: 'probe-42.a:b',
        method: 'GET',
        route: 'ca',
        path: '/v1/ca',
        status: 200,
        durationMs: expect.any(Number),
      }),
    );
    expect(requests).toContainEqual(
      expect.objectContaining({
        requestId: tuf.headers['x-request-id'],
        level: 'error',
        status: 503,
        deviceId: d.deviceId,
      }),
    );
    expect(requests.find((l) => l.requestId === 'probe-42.a:b')).not.toHaveProperty('deviceId');
  });
});
