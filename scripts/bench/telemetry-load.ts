/**
 * Load generator for the telemetry ingest benchmark (its own process, so the gateway's CPU is not
 * shared with the clients' event loop): N device connections over mTLS with mqtt.js, publishing
 * valid ZTelemetry at QoS 1. Prints one JSON line with what was acknowledged and how fast.
 *   fixed: `rate` messages/s in total, round-robin over the devices, for `seconds`, each device
 *          keeping at most `window` unacknowledged (the rest wait in its queue, like the agent's)
 *   max:   each device keeps `window` messages unacknowledged, for `seconds`
 * Latency = publish → PUBACK; the gateway sends the PUBACK after the row committed.
 */
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { connectMqttDevice } from '../../apps/gateway/src/mqtt/ingest-testing.ts';
import { telemetryMessage } from '../../packages/core/src/health/ingest-testing.ts';

export interface LoadConfig {
  port: number;
  caChainPem: string;
  keyPem: string;
  devices: { id: string; certPem: string }[];
  mode: 'fixed' | 'max';
  rate: number;
  window: number;
  warmupSeconds: number;
  seconds: number;
  /** Topic suffix per device: `edgefleet/devices/<id>/telemetry`. */
}

export interface LoadResult {
  connectSeconds: number;
  sent: number;
  acked: number;
  /** Acknowledged messages published inside the measured window, per second of that window. */
  ackedPerSecond: number;
  offeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Highest seq acknowledged per device, to check the rows are there. */
  ackedTotal: number;
  /** Messages that waited in the device's queue because its window was full (fixed mode). */
  backlogged: number;
}

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadConfig;

const connectStarted = performance.now();
const clients: MqttClient[] = new Array(config.devices.length);
let next = 0;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    while (next < config.devices.length) {
      const i = next++;
      const d = config.devices[i] as LoadConfig['devices'][number];
      const c = await connectMqttDevice({
        port: config.port,
        caChainPem: config.caChainPem,
        certPem: d.certPem,
        keyPem: config.keyPem,
        clientId: d.id,
      });
      c.on('error', () => {});
      clients[i] = c;
    }
  }),
);
const connectSeconds = (performance.now() - connectStarted) / 1000;

// One template per device; only seq and ts change per message.
const template = JSON.stringify(telemetryMessage(0));
const topicsOf = config.devices.map((d) => `edgefleet/devices/${d.id}/telemetry`);
const seqs = new Array<number>(config.devices.length).fill(0);
let tsNow = new Date().toISOString();
const tsTimer = setInterval(() => {
  tsNow = new Date().toISOString();
}, 50);
const payloadFor = (seq: number) =>
  template.replace('"seq":0', `"seq":${seq}`).replace(/"ts":"[^"]+"/, `"ts":"${tsNow}"`);

const start = performance.now();
const measureFrom = start + config.warmupSeconds * 1000;
const measureTo = measureFrom + config.seconds * 1000;
const latencies: number[] = [];
let sent = 0;
let acked = 0;
let ackedInWindow = 0;

// Like the agent: at most `window` unacknowledged per device; a message due while the window is
// full waits in the device's own queue (the agent's on-disk queue) and goes out on the next
// PUBACK. Its lag counts from when it was due, so waiting there is part of the figure.
const inflight = new Array<number>(config.devices.length).fill(0);
const backlog: number[][] = config.devices.map(() => []);
let backlogged = 0;

function send(i: number, seq: number, at: number, onAck?: () => void) {
  inflight[i] = (inflight[i] ?? 0) + 1;
  (clients[i] as MqttClient).publish(topicsOf[i] as string, payloadFor(seq), { qos: 1 }, (err) => {
    inflight[i] = (inflight[i] ?? 1) - 1;
    if (err) return;
    acked++;
    if (at >= measureFrom && at < measureTo) {
      ackedInWindow++;
      latencies.push(performance.now() - at);
    }
    const queued = backlog[i] as number[];
    if (queued.length > 0) {
      const [nextSeq, nextAt] = queued.splice(0, 2) as [number, number];
      send(i, nextSeq, nextAt);
    }
    onAck?.();
  });
}

function publish(i: number, onAck?: () => void) {
  const seq = (seqs[i] ?? 0) + 1;
  seqs[i] = seq;
  const at = performance.now();
  sent++;
  if ((inflight[i] ?? 0) >= config.window) {
    backlogged++;
    (backlog[i] as number[]).push(seq, at);
    return;
  }
  send(i, seq, at, onAck);
}

let stopped = false;
if (config.mode === 'fixed') {
  let cursor = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now >= measureTo) {
      clearInterval(timer);
      stopped = true;
      return;
    }
    const due = Math.floor(((now - start) / 1000) * config.rate);
    while (sent < due) {
      publish(cursor);
      cursor = (cursor + 1) % clients.length;
    }
  }, 5);
} else {
  const pump = (i: number) => {
    if (performance.now() >= measureTo) return;
    publish(i, () => pump(i));
  };
  for (let i = 0; i < clients.length; i++) for (let w = 0; w < config.window; w++) pump(i);
  setTimeout(() => {
    stopped = true;
  }, measureTo - start);
}

// Wait for the window to end and the stragglers' acknowledgements (at most 10 s).
while (!stopped) await new Promise((r) => setTimeout(r, 50));
const deadline = performance.now() + 10_000;
while (acked < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
clearInterval(tsTimer);

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0;
const result: LoadResult = {
  connectSeconds,
  sent,
  acked,
  ackedPerSecond: ackedInWindow / config.seconds,
  offeredPerSecond: config.mode === 'fixed' ? config.rate : 0,
  p50Ms: pct(50),
  p99Ms: pct(99),
  maxMs: latencies[latencies.length - 1] ?? 0,
  ackedTotal: acked,
  backlogged,
};
await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
console.log(JSON.stringify(result));
process.exit(0);
