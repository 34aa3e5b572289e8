import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@edgefleet/protocol/device';
import { type TDeviceEvent, type TTelemetry, ZDeviceEvent, ZTelemetry } from '@edgefleet/protocol/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../agent.ts';
import { DataDir } from '../data-dir.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { systemClock } from '../runtime.ts';
import { createTestCa } from '../test/fleet-ca.ts';
import { type Received, startTlsBroker, type TlsBroker } from '../test/tls-broker.ts';
import { waiter } from '../test/wait.ts';
import { DEFAULT_THRESHOLDS, findAnomalies } from './anomalies.ts';
import { openTelemetry } from './open.ts';

const DEVICE = 'dev_aaaaaaaaaaaaaaaaaaaa';
const ca = createTestCa();

let dir: string;
let data: DataDir;
let logs: string[];
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-telemetry-'));
  data = new DataDir(dir);
  logs = [];
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function provision(port: number) {
  const device = ca.device(DEVICE);
  await data.write('key', device.keyPem);
  await data.write('cert', device.certPem);
  await data.write('ca', ca.chainPem);
  await data.writeIdentity({
    v: 1,
    deviceId: DEVICE,
    server: 'https://127.0.0.1:1',
    mqtt: { host: '127.0.0.1', port },
    status: 'accepted',
    enrolledAt: new Date().toISOString(),
  });
}

const until = waiter(() => `agent log:\n${logs.join('\n')}`);
const on = (topic: string, brokers: TlsBroker[]) =>
  brokers.flatMap((b) => b.received).filter((m: Received) => m.topic === topic);
const telemetryOf = (...brokers: TlsBroker[]): TTelemetry[] =>
  on(topics.telemetry(DEVICE), brokers).map((m) => ZTelemetry.parse(JSON.parse(m.payload)));
const eventsOf = (...brokers: TlsBroker[]): TDeviceEvent[] =>
  on(topics.events(DEVICE), brokers).map((m) => ZDeviceEvent.parse(JSON.parse(m.payload)));

// The metrics are this machine's: a busy test host may well report a CPU anomaly.
const kinds = (events: TDeviceEvent[]) => events.map((e) => e.kind).filter((k) => k !== 'anomaly');

/** First arrival of each seq, in arrival order (a re-sent one may arrive twice). */
const firstArrivals = <T extends { seq: number }>(messages: T[]) => {
  const seen = new Set<number>();
  return messages.filter((m) => !seen.has(m.seq) && seen.add(m.seq));
};

describe('agent telemetry over MQTT', () => {
  it('publishes telemetry and events, queues them while the broker is down and delivers them in order after', async () => {
    const first = await startTlsBroker(ca);
    const port = first.port;
    await provision(port);
    const log = (l: string) => logs.push(l);
    const telemetry = await openTelemetry({
      dataDir: data,
      deviceId: DEVICE,
      clock: systemClock,
      log,
      intervalMs: 100,
    });
    const controller = new AbortController();
    const agent = new Agent({
      dataDir: data,
      links: awsIotLink,
      clock: systemClock,
      log,
      heartbeatMs: 500,
      reconnect: { initialMs: 100, maxMs: 400, jitter: 0.3 },
      telemetry,
    });
    const running = agent.run(controller.signal);
    cleanups.push(async () => {
      controller.abort();
      await running;
    });

    await until('telemetry on the first broker', () => telemetryOf(first).length >= 3);
    expect(kinds(eventsOf(first))).toEqual(['agent_started', 'connected']);
    await first.stop();
    await until('the agent offline', async () => (await data.readState())?.connection === 'disconnected');
    const offlineSince = telemetryOf(first).length;
    await new Promise((r) => setTimeout(r, 800)); // samples taken offline go to the queue

    const second = await startTlsBroker(ca, port);
    cleanups.push(() => second.stop());
    await until('the offline samples delivered', () => telemetryOf(second).length >= 6);
    const later = telemetryOf(second).at(-1)?.seq ?? 0;
    controller.abort();
    await running;

    // Nothing lost (the bound was never reached), in order, each seq once after duplicates are dropped.
    const all = firstArrivals(telemetryOf(first, second));
    expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i));
    expect(all.every((m) => m.dropped === 0)).toBe(true);
    expect(all.length).toBeGreaterThan(offlineSince + 5);
    expect(all.at(-1)?.seq).toBeGreaterThanOrEqual(later);
    expect(all.every((m) => m.system.agentVersion && m.system.memoryTotalBytes > 0)).toBe(true);

    const events = firstArrivals(eventsOf(first, second));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(kinds(events)).toEqual([
      'agent_started',
      'connected',
      'disconnected',
      'connected',
      'agent_stopped', // delivered before the agent disconnected
    ]);
  });

  it('is wired into edgefleet-agent run, with its options', async () => {
    const broker = await startTlsBroker(ca);
    cleanups.push(() => broker.stop());
    await provision(broker.port);
    const bin = new URL('../../bin/edgefleet-agent.js', import.meta.url).pathname;
    const args = ['run', '--data-dir', dir, '--inference-port', '0', '--heartbeat', '1s'];
    args.push('--telemetry-interval', '200ms', '--telemetry-mode', 'summary', '--summary-every', '1h');
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => logs.push(String(c)));
    child.stderr.on('data', (c) => logs.push(String(c)));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    cleanups.push(async () => void child.kill('SIGKILL'));

    await until(
      'the first sample and connected',
      () => telemetryOf(broker).length >= 1 && eventsOf(broker).length >= 2,
    );
    await new Promise((r) => setTimeout(r, 1000)); // ~5 more samples: quiet ones wait for --summary-every
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const telemetry = telemetryOf(broker);
    // Quiet samples after the first wait for --summary-every; only anomalous ones (a busy test host) go.
    const anomalous = (m: TTelemetry) => findAnomalies(m.system, m.inference, DEFAULT_THRESHOLDS).size > 0;
    expect(telemetry.slice(1).filter((m) => !anomalous(m))).toEqual([]);
    expect(telemetry[0]?.intervalSeconds).toBeLessThan(1);
    expect(kinds(eventsOf(broker))).toEqual(['agent_started', 'connected', 'agent_stopped']);
  }, 30_000);
});
