import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import {
  LATENCY_BUCKETS_MS,
  type TInferenceWindow,
  type TSystemMetrics,
  ZDeviceEvent,
  ZTelemetry,
} from '@edgefleet/protocol/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskQueue } from './queue.ts';
import type { QueueFs } from './queue-fs.ts';
import { type ReporterOptions, TelemetryReporter } from './reporter.ts';
import { FakeLink, fullDiskFs, ManualClock, quietSystem, unsyncedFs } from './testing.ts';

const DEVICE = 'dev_aaaaaaaaaaaaaaaaaaaa';
const HOUR = 3_600_000;
const TELEMETRY = topics.telemetry(DEVICE);
const EVENTS = topics.events(DEVICE);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'telemetry-reporter-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function window(model: string, requests: number, errors = 0): TInferenceWindow {
  const latencyCounts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  latencyCounts[8] = requests - errors;
  return { model, version: '1.0.0', requests, errors, latencyCounts, latencySumMs: 30 * (requests - errors) };
}

interface Setup extends ReporterOptions {
  clock?: ManualClock;
  maxBytes?: number;
  fs?: QueueFs;
  seenInstalls?: Record<string, string> | null;
}

/** A reporter on real queues under `dir`, with a machine and inference the test sets. */
async function setup(opts: Setup = {}) {
  const clock = opts.clock ?? new ManualClock(Date.now() - HOUR);
  const machine = { system: quietSystem() as TSystemMetrics, windows: [] as TInferenceWindow[] };
  const listeners = new Set<(r: TStateReport) => void>();
  const saved: Record<string, string>[] = [];
  const queues = {
    telemetry: await DiskQueue.open({ dir: join(dir, 'telemetry'), maxBytes: opts.maxBytes, fs: opts.fs }),
    events: await DiskQueue.open({ dir: join(dir, 'events') }),
  };
  const reporter = new TelemetryReporter({
    deviceId: DEVICE,
    queues,
    metrics: { collect: async () => machine.system },
    inference: { takeInferenceWindows: () => machine.windows.splice(0) },
    installer: {
      onReport: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    seenInstalls: opts.seenInstalls === undefined ? {} : opts.seenInstalls,
    saveSeenInstalls: async (seen) => void saved.push(seen),
    clock,
    log: () => {},
    sender: { ackTimeoutMs: 1000, retryMs: 1000 },
    ...opts,
  });
  const install = (models: TStateReport['models']) => {
    for (const l of listeners) l({ v: PROTOCOL_VERSION, ts: clock.now().toISOString(), instructionVersion: 1, models });
  };
  /** Samples `n` intervals of `ms`. */
  const tick = async (n = 1, ms = 10_000) => {
    for (let i = 0; i < n; i++) {
      clock.advance(ms);
      await reporter.sample();
    }
  };
  /** Delivers everything over a fresh link and returns it. */
  const deliver = async () => {
    const link = new FakeLink();
    reporter.sender.attach(link);
    expect(await reporter.sender.drained(30_000)).toBe(true);
    await reporter.sender.detach();
    return link;
  };
  return { clock, machine, queues, reporter, install, saved, tick, deliver };
}

const segmentBytes = async (d: string) => {
  let total = 0;
  for (const n of await readdir(d)) if (n.endsWith('.jsonl')) total += (await stat(join(d, n))).size;
  return total;
};

describe('TelemetryReporter', () => {
  it('keeps 24 h of offline telemetry at 10 s within its byte bound and delivers the newest, in order, with the drop count', async () => {
    const maxBytes = 1024 * 1024;
    const t = await setup({ clock: new ManualClock(Date.now() - 24 * HOUR), maxBytes, fs: unsyncedFs });
    for (let i = 0; i < 8640; i++) {
      if (i % 3 === 0) t.machine.windows.push(window('detector', 40), window('classifier', 12, 1));
      await t.tick();
    }
    expect(await segmentBytes(join(dir, 'telemetry'))).toBeLessThanOrEqual(maxBytes);
    const discarded = t.queues.telemetry.dropped;
    expect(discarded).toBeGreaterThan(4000); // the bound is what kept it small
    expect(t.queues.telemetry.length + discarded).toBe(8640);

    const messages = (await t.deliver()).messages(TELEMETRY).map((m) => ZTelemetry.parse(m));
    expect(messages.length).toBe(8640 - discarded);
    const seqs = messages.map((m) => m.seq);
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    expect(seqs.at(-1)).toBe(8639);
    expect(messages[0]?.dropped).toBe(discarded);
    expect(messages.slice(1).every((m) => m.dropped === 0)).toBe(true);
    expect(t.queues.telemetry.dropped).toBe(0);
    expect(t.queues.telemetry.length).toBe(0);
  }, 60_000);

  it('sends again what was published but not acknowledged when the agent died', async () => {
    const t = await setup();
    await t.tick(3);
    const first = new FakeLink();
    first.respond = () => new Promise(() => {}); // the PUBACKs never come: the agent dies first
    t.reporter.sender.attach(first);
    await expect.poll(() => first.published.length).toBe(3);
    // A new process on the same data directory.
    const again = await setup({ clock: t.clock });
    const seqs = (await again.deliver()).messages(TELEMETRY).map((m) => m.seq);
    expect(seqs).toEqual(first.messages(TELEMETRY).map((m) => m.seq));
    expect(seqs).toEqual([0, 1, 2]);
    await t.reporter.sender.detach();
  });

  it('removes only what was acknowledged: a publish that fails is sent again, in order', async () => {
    const t = await setup();
    await t.tick(5);
    const link = new FakeLink();
    link.respond = async (_p, i) => {
      if (i === 2) throw new Error('connection lost');
    };
    t.reporter.sender.attach(link);
    await expect.poll(() => link.published.length).toBe(5);
    expect(t.queues.telemetry.length).toBe(3); // seq 0 and 1 acknowledged
    t.clock.advance(1000); // the sender's retry pause
    expect(await t.reporter.sender.drained(5000)).toBe(true);
    const seqs = link.messages(TELEMETRY).map((m) => m.seq);
    expect(seqs.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(seqs.slice(5)).toEqual([2, 3, 4]);
    await t.reporter.sender.detach();
  });

  it('counts telemetry it could not write (disk full) as dropped and reports it in the next message', async () => {
    const fs = fullDiskFs();
    const t = await setup({ fs });
    await t.tick();
    fs.full = true;
    await t.tick(3); // no exception
    fs.full = false;
    await t.tick();
    const messages = (await t.deliver()).messages(TELEMETRY).map((m) => ZTelemetry.parse(m));
    expect(messages.map((m) => [m.seq, m.dropped])).toEqual([
      [0, 3],
      [4, 0],
    ]);
  });

  it('in summary mode sends quiet samples once per summaryEvery, and every sample with inference or an anomaly', async () => {
    const t = await setup({ mode: 'summary', summaryEveryMs: 60_000 });
    await t.tick(7); // t = 10 s … 70 s: the first, then the one 60 s later
    t.machine.windows.push(window('detector', 50)); // t = 80 s
    await t.tick();
    t.machine.system = quietSystem({ cpuPercent: 97 }); // t = 90 s, 100 s
    await t.tick(2);
    t.machine.system = quietSystem(); // t = 110 s: quiet again, the last one went at 100 s
    await t.tick();
    t.machine.windows.push(window('detector', 100, 9)); // t = 120 s: 9% errors
    await t.tick();

    const link = await t.deliver();
    const telemetry = link.messages(TELEMETRY).map((m) => ZTelemetry.parse(m));
    expect(telemetry.map((m) => Math.round((Date.parse(m.ts) - Date.parse(telemetry[0]?.ts ?? '')) / 1000))).toEqual([
      0, 60, 70, 80, 90, 110,
    ]);
    const events = link.messages(EVENTS).map((m) => ZDeviceEvent.parse(m));
    expect(events.map((e) => [e.kind, e.severity, e.message])).toEqual([
      ['anomaly', 'warning', 'CPU at 97% (above 90%)'],
      ['anomaly', 'info', 'cpu back to normal'],
      ['anomaly', 'warning', 'detector@1.0.0: 9 of 100 requests failed (9.0%, above 5%)'],
    ]);
    expect(events[2]).toMatchObject({ model: 'detector', version: '1.0.0' });
  });

  it('in mode all sends every sample', async () => {
    const t = await setup();
    await t.tick(6);
    expect(t.queues.telemetry.length).toBe(6);
  });

  it('reports start, connection, disconnection and stop as events, and delivers agent_stopped before disconnecting', async () => {
    const t = await setup();
    const controller = new AbortController();
    const running = t.reporter.run(controller.signal);
    await expect.poll(() => t.queues.events.length).toBe(1); // agent_started
    const link = new FakeLink();
    let detach = t.reporter.attach(link, 'mqtts://broker:8883');
    await expect.poll(() => link.messages(EVENTS).length).toBe(2);
    await detach({ kind: 'interrupted', error: new Error('socket closed') });
    t.clock.advance(10_000); // a sample while offline
    await expect.poll(() => t.queues.telemetry.length).toBe(1);

    detach = t.reporter.attach(link, 'mqtts://broker:8883');
    controller.abort();
    await detach({ kind: 'stopped' });
    await running;
    const events = link.messages(EVENTS).map((m) => ZDeviceEvent.parse(m));
    expect(events.map((e) => [e.seq, e.kind, e.message])).toEqual([
      [0, 'agent_started', expect.stringMatching(/^edgefleet-agent .* started$/)],
      [1, 'connected', 'connected to mqtts://broker:8883'],
      [2, 'disconnected', 'disconnected from mqtts://broker:8883: socket closed'],
      [3, 'connected', 'connected to mqtts://broker:8883'],
      [4, 'agent_stopped', 'edgefleet-agent stopped'],
    ]);
    expect(link.messages(TELEMETRY).map((m) => ZTelemetry.parse(m).seq)).toEqual([0]);
    expect(t.queues.events.length).toBe(0);
  });

  it('turns install ends into events once each, the first report being the baseline when none was recorded', async () => {
    const t = await setup({ seenInstalls: null });
    const serving = { version: '1.0.0', slot: 'a' as const, since: new Date().toISOString() };
    t.install([{ model: 'detector', serving, install: { version: '1.0.0', attempt: 1, step: 'succeeded' } }]);
    await t.reporter.idle();
    expect(t.queues.events.length).toBe(0);
    expect(t.saved.at(-1)).toEqual({ detector: '1.0.0#1#succeeded' });

    t.install([{ model: 'detector', serving, install: { version: '1.1.0', attempt: 1, step: 'downloading' } }]);
    t.install([
      { model: 'detector', serving, install: { version: '1.1.0', attempt: 1, step: 'failed', reason: 'bad hash' } },
    ]);
    t.install([
      { model: 'detector', serving, install: { version: '1.1.0', attempt: 1, step: 'failed', reason: 'bad hash' } },
    ]);
    await t.reporter.idle();
    const events = (await t.deliver()).messages(EVENTS).map((m) => ZDeviceEvent.parse(m));
    expect(events.map((e) => [e.kind, e.severity, e.message, e.model, e.version])).toEqual([
      ['install', 'error', 'detector@1.1.0 failed to install (attempt 1): bad hash', 'detector', '1.1.0'],
    ]);
    expect(t.saved.at(-1)).toEqual({ detector: '1.1.0#1#failed' });
  });
});
