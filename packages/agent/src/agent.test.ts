import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics, ZHeartbeat } from '@edgefleet/protocol/device';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from './agent.ts';
import { DataDir } from './data-dir.ts';
import type { InstallService } from './install/service.ts';
import type { DeviceLink, LinkFactory, LinkParams } from './mqtt-link.ts';
import type { Clock } from './runtime.ts';
import { createTestCa } from './test/fleet-ca.ts';

const ca = createTestCa();
const device = ca.device('dev_unit');

/** A link that does what the test script says; implements the same interface as the MQTT one. */
class ScriptedLink implements DeviceLink {
  published: { topic: string; payload: string }[] = [];
  interrupt?: (e: Error) => void;
  disconnected = false;
  constructor(
    readonly params: LinkParams,
    private readonly behaviour: { connect: () => Promise<void>; onPublish?: (link: ScriptedLink) => void },
  ) {}
  connect = () => this.behaviour.connect();
  async publish(topic: string, payload: string) {
    this.published.push({ topic, payload });
    this.behaviour.onPublish?.(this);
  }
  subscriptions: { topic: string; handler: (payload: string) => void }[] = [];
  async subscribe(topic: string, handler: (payload: string) => void) {
    this.subscriptions.push({ topic, handler });
  }
  onInterrupted(listener: (e: Error) => void) {
    this.interrupt = listener;
  }
  async disconnect() {
    this.disconnected = true;
  }
}

let data: DataDir;
beforeEach(async () => {
  data = new DataDir(await mkdtemp(join(tmpdir(), 'agent-unit-')));
  await data.write('key', device.keyPem);
  await data.write('cert', device.certPem);
  await data.write('ca', ca.chainPem);
  await data.writeIdentity({
    v: 1,
    deviceId: 'dev_unit',
    server: 'https://gw.test:8443',
    mqtt: { host: 'gw.test', port: 8883 },
    status: 'accepted',
    enrolledAt: new Date().toISOString(),
  });
});
afterEach(() => rm(data.root, { recursive: true, force: true }));

function fakeClock(onSleep: (ms: number) => void): Clock {
  return {
    now: () => new Date(),
    sleep: async (ms, signal) => {
      onSleep(ms);
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    },
  };
}

const policy = { initialMs: 100, maxMs: 1000, jitter: 0.5 };

/** An installer that records what the agent asks of it. */
class FakeInstaller implements InstallService {
  refreshes = 0;
  instructionVersion = 3;
  running = false;
  private readonly listeners = new Set<(r: TStateReport) => void>();
  report = (): TStateReport => ({
    v: 1,
    ts: new Date().toISOString(),
    instructionVersion: this.instructionVersion,
    models: [],
  });
  async run(signal: AbortSignal) {
    this.running = true;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    this.running = false;
  }
  refreshSoon() {
    this.refreshes++;
  }
  onReport(listener: (r: TStateReport) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(r: TStateReport) {
    for (const l of this.listeners) l(r);
  }
}

describe('Agent', () => {
  it('backs off with capped, jittered delays while connects fail, and resets after a delivered heartbeat', async () => {
    const controller = new AbortController();
    const sleeps: number[] = [];
    const links: ScriptedLink[] = [];
    let attempts = 0;
    const factory: LinkFactory = (params) => {
      const link = new ScriptedLink(params, {
        connect: async () => {
          if (++attempts <= 6 || (attempts > 7 && attempts <= 9)) throw new Error('connection refused');
        },
        // Connection 7 delivers one heartbeat, then drops.
        onPublish: (l) => setImmediate(() => l.interrupt?.(new Error('socket closed'))),
      });
      links.push(link);
      if (attempts >= 9) controller.abort();
      return link;
    };
    const agent = new Agent({
      dataDir: data,
      links: factory,
      clock: fakeClock((ms) => sleeps.push(ms)),
      log: () => {},
      random: () => 1, // the most jitter: delays at their lower bound
      heartbeatMs: 60_000,
      reconnect: policy,
    });
    await agent.run(controller.signal);
    // 100·2^n halved by jitter, capped at 1000 (→ 500), then back to 50 after the delivered heartbeat.
    expect(sleeps).toEqual([50, 100, 200, 400, 500, 500, 50, 100, 200]);
    expect(links[0]!.params).toMatchObject({ host: 'gw.test', port: 8883, clientId: 'dev_unit' });
    const hb = links[6]!.published[0]!;
    expect(hb.topic).toBe(topics.heartbeat('dev_unit'));
    expect(ZHeartbeat.safeParse(JSON.parse(hb.payload)).success).toBe(true);
    expect(links.every((l) => l.disconnected)).toBe(true);
    expect((await data.readState())?.connection).toBe('stopped');
  });

  it('stops when told to between connecting and the first heartbeat', async () => {
    const controller = new AbortController();
    const agent = new Agent({
      dataDir: data,
      links: (params) =>
        new ScriptedLink(params, {
          connect: async () => {
            controller.abort(); // the stop request lands while the connection is being set up
          },
        }),
      clock: fakeClock(() => {}),
      log: () => {},
      heartbeatMs: 60_000,
      reconnect: policy,
    });
    await agent.run(controller.signal); // used to hang: an aborted signal fires no more 'abort' events
    expect((await data.readState())?.connection).toBe('stopped');
  });

  it('refuses to run with a key that does not match the certificate', async () => {
    await data.write('key', ca.device('dev_unit').keyPem);
    const agent = new Agent({
      dataDir: data,
      links: () => {
        throw new Error('must not connect');
      },
      clock: fakeClock(() => {}),
      log: () => {},
      heartbeatMs: 1000,
      reconnect: policy,
    });
    await expect(agent.run(new AbortController().signal)).rejects.toThrow(/key\.pem does not match/);
  });
  it('subscribes to its doorbell, refreshes on connect and on newer notices, and publishes state reports while connected', async () => {
    const controller = new AbortController();
    const installer = new FakeInstaller();
    const logs: string[] = [];
    let link: ScriptedLink | undefined;
    const agent = new Agent({
      dataDir: data,
      links: (params) => {
        link = new ScriptedLink(params, { connect: async () => {} });
        return link;
      },
      clock: fakeClock(() => {}),
      log: (l) => logs.push(l),
      heartbeatMs: 60_000,
      reconnect: policy,
      installer,
    });
    const done = agent.run(controller.signal);
    const states = () => link?.published.filter((p) => p.topic === topics.state('dev_unit')) ?? [];
    for (let i = 0; i < 100 && states().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(installer.running).toBe(true);
    expect(link?.subscriptions.map((s) => s.topic)).toEqual([topics.desired('dev_unit')]);
    expect(installer.refreshes).toBe(1);
    expect(JSON.parse(states()[0]?.payload ?? '{}')).toMatchObject({ v: 1, instructionVersion: 3 });

    const ring = link?.subscriptions[0]?.handler;
    ring?.(JSON.stringify({ v: 1, instructionVersion: 3, issuedAt: new Date().toISOString() }));
    expect(installer.refreshes).toBe(1); // the retained notice of what it already has
    ring?.(JSON.stringify({ v: 1, instructionVersion: 4, issuedAt: new Date().toISOString() }));
    expect(installer.refreshes).toBe(2);
    ring?.('not json');
    expect(installer.refreshes).toBe(2);
    expect(logs.some((l) => l.startsWith('ignored a malformed desired-state notice'))).toBe(true);

    installer.emit({ ...installer.report(), instructionVersion: 4 });
    await new Promise((r) => setTimeout(r, 10));
    expect(states().map((p) => JSON.parse(p.payload).instructionVersion)).toEqual([3, 4]);

    controller.abort();
    await done;
    installer.emit({ ...installer.report(), instructionVersion: 5 });
    await new Promise((r) => setTimeout(r, 10));
    expect(states()).toHaveLength(2); // detached with the session
    expect(installer.running).toBe(false);
  });

  it('stops the installer when it cannot run', async () => {
    await data.write('key', ca.device('dev_unit').keyPem);
    const installer = new FakeInstaller();
    const agent = new Agent({
      dataDir: data,
      links: () => {
        throw new Error('must not connect');
      },
      clock: fakeClock(() => {}),
      log: () => {},
      heartbeatMs: 1000,
      reconnect: policy,
      installer,
    });
    await expect(agent.run(new AbortController().signal)).rejects.toThrow(/key\.pem does not match/);
    expect(installer.running).toBe(false);
  });
});
