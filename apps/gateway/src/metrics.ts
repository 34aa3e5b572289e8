import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceRequestRecord } from './http/observe.ts';
import type { Gateway } from './server.ts';

/** What the gauges and mirrored counters read at scrape time: the running gateway's handle. */
export type GatewayMetricsSource = Pick<
  Gateway,
  'connectedDeviceIds' | 'stateReports' | 'isEngineLeader' | 'engineTicks' | 'ingestStats' | 'externalBroker'
>;

export interface GatewayMetrics {
  registry: Registry;
  /** Feeds GatewayOptions.onIngestCommitted: publish-arrival → commit latency of each committed message (ms). */
  observeIngestLag(lagsMs: number[]): void;
  /** Feeds GatewayOptions.onDeviceRequest. */
  observeDeviceRequest(r: DeviceRequestRecord): void;
  /** Binds the scrape-time metrics to the gateway once it runs (they read 0 until then). */
  attach(source: GatewayMetricsSource): void;
}

const LAG_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const HTTP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
const INGEST_REJECTS = ['too_large', 'not_json', 'schema', 'rate_limited', 'buffer_full'] as const;

/**
 * The gateway's Prometheus registry (its own, so several gateways in one test process do not
 * share series). Most values already live in the gateway as running totals (ingest stats, state
 * reports, engine ticks); those are mirrored into counters when Prometheus scrapes, so the hot
 * paths pay nothing. Only the lag histogram and HTTP requests are observed as they happen.
 */
export function createGatewayMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  let source: GatewayMetricsSource | null = null;

  /** A counter whose value is a total the gateway keeps; reset-and-set on each scrape. */
  const mirror = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (s: GatewayMetricsSource) => [Partial<Record<L, string>>, number][],
  ) =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        if (!source) return;
        this.reset();
        for (const [labels, value] of read(source)) this.inc(labels, value);
      },
    });
  const gauge = (name: string, help: string, read: (s: GatewayMetricsSource) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(source ? read(source) : 0);
      },
    });

  gauge(
    'edgefleet_mqtt_connections',
    'Devices connected to this gateway over MQTT.',
    (s) => s.connectedDeviceIds().length,
  );
  gauge(
    'edgefleet_mqtt_external_connected',
    '1 while this gateway is connected to its external broker; 0 while it is not, or with the embedded broker.',
    (s) => {
      const external = s.externalBroker();
      return external === null ? 0 : external.connected ? 1 : 0;
    },
  );
  gauge('edgefleet_engine_leader', '1 while this gateway holds the rollout engine lock, else 0.', (s) =>
    s.isEngineLeader() ? 1 : 0,
  );
  mirror('edgefleet_engine_ticks_total', 'Rollout engine ticks completed by this gateway.', [], (s) => [
    [{}, s.engineTicks()],
  ]);
  mirror('edgefleet_state_reports_total', 'Device state reports by outcome.', ['outcome'], (s) => {
    const r = s.stateReports();
    return [
      [{ outcome: 'applied' }, r.applied],
      [{ outcome: 'invalid' }, r.invalid],
      [{ outcome: 'failed' }, r.failed],
    ];
  });

  mirror('edgefleet_ingest_received_total', 'Telemetry and event messages that arrived over MQTT.', [], (s) => [
    [{}, s.ingestStats().received],
  ]);
  mirror('edgefleet_ingest_written_total', 'Telemetry and event messages committed to the database.', [], (s) => [
    [{}, s.ingestStats().written],
  ]);
  mirror('edgefleet_ingest_duplicates_total', 'Valid messages whose (device, seq) was already stored.', [], (s) => [
    [{}, s.ingestStats().duplicates],
  ]);
  mirror('edgefleet_ingest_rejected_total', 'Messages dropped before the database, by reason.', ['reason'], (s) => {
    const st = s.ingestStats();
    const value: Record<(typeof INGEST_REJECTS)[number], number> = {
      ...st.invalid,
      rate_limited: st.rateLimited,
      buffer_full: st.rejectedFull,
    };
    return INGEST_REJECTS.map((reason) => [{ reason }, value[reason]]);
  });
  mirror('edgefleet_ingest_write_failures_total', 'Batch writes that failed (and were retried).', [], (s) => [
    [{}, s.ingestStats().writeFailures],
  ]);
  gauge(
    'edgefleet_ingest_buffer_messages',
    'Messages waiting in the ingest buffer to be written.',
    (s) => s.ingestStats().bufferDepth,
  );
  gauge(
    'edgefleet_ingest_buffer_limit_messages',
    'Capacity of the ingest buffer; at the limit new messages wait, unacknowledged, for room.',
    (s) => s.ingestStats().bufferLimit,
  );
  gauge(
    'edgefleet_ingest_held_messages',
    'Messages waiting, unacknowledged, for room in a full ingest buffer; past the hold limit new ones are refused.',
    (s) => s.ingestStats().heldDepth,
  );
  const lag = new Histogram({
    name: 'edgefleet_ingest_lag_seconds',
    help: 'Time from a message arriving at the gateway to its row being committed.',
    buckets: LAG_BUCKETS_S,
    registers,
  });

  const requests = new Counter({
    name: 'edgefleet_device_http_requests_total',
    help: 'Device HTTPS requests by route class, method and status (0: client went away).',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'edgefleet_device_http_request_duration_seconds',
    help: 'Device HTTPS request duration by route class.',
    labelNames: ['route'],
    buckets: HTTP_BUCKETS_S,
    registers,
  });

  return {
    registry,
    observeIngestLag(lagsMs) {
      for (const ms of lagsMs) lag.observe(ms / 1000);
    },
    observeDeviceRequest(r) {
      const method = r.method === 'GET' || r.method === 'POST' || r.method === 'HEAD' ? r.method : 'other';
      requests.inc({ route: r.route, method, status: String(r.status) });
      duration.observe({ route: r.route }, r.durationMs / 1000);
    },
    attach(s) {
      source = s;
    },
  };
}
