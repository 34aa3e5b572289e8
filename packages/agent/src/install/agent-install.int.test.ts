import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { signPendingInstructions } from '@edgefleet/core/rollouts/device-repository';
import type { SeededVersion } from '@edgefleet/core/rollouts/testing';
import { topics } from '@edgefleet/protocol/device';
import { type TModelReport, ZStateReport } from '@edgefleet/protocol/rollout';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../agent.ts';
import { main } from '../main.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { systemClock } from '../runtime.ts';
import { FakeRuntime } from '../test/fake-runtime.ts';
import { fastClock, type InstallHarness, startInstallHarness, type TestDevice } from '../test/install-harness.ts';
import { startTlsBroker, type TlsBroker } from '../test/tls-broker.ts';
import { waiter } from '../test/wait.ts';
import { createInstaller } from './service.ts';
import { SlotStore, ZInstallState } from './slots.ts';

let h: InstallHarness;
let broker: TlsBroker;
let v1: SeededVersion;
let v2: SeededVersion;
let logs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  h = await startInstallHarness();
  broker = await startTlsBroker(h.ca);
  v1 = await h.publish('1.0.0');
  v2 = await h.publish('1.1.0');
});
afterAll(async () => {
  await broker?.stop();
  await h?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  logs = [];
});

const until = waiter(() => `log:\n${logs.join('\n')}`, 30_000);

/** What the gateway does after a desired change: sign, then ring the retained doorbell. */
async function ring(dev: TestDevice) {
  const signed = (await signPendingInstructions(h.repo)).find((s) => s.deviceId === dev.id);
  if (!signed) throw new Error('nothing signed');
  await broker.publish(
    topics.desired(dev.id),
    JSON.stringify({ v: 1, instructionVersion: signed.version, issuedAt: signed.issuedAt }),
  );
}

async function identityOf(dev: TestDevice) {
  const identity = await dev.dataDir.readIdentity();
  if (!identity) throw new Error('no identity');
  return identity;
}

const reportsOf = (dev: TestDevice) =>
  broker.received.filter((m) => m.topic === topics.state(dev.id)).map((m) => ZStateReport.parse(JSON.parse(m.payload)));
const detector = (dev: TestDevice): TModelReport | undefined =>
  reportsOf(dev)
    .at(-1)
    ?.models.find((m) => m.model === 'detector');

describe('the agent with installs, over MQTT', () => {
  it('installs on a doorbell and reports every step on its state topic', async () => {
    const dev = await h.device();
    const identity = await identityOf(dev);
    const runtime = new FakeRuntime();
    const installer = createInstaller({
      dataDir: dev.dataDir,
      identity,
      runtime,
      clock: fastClock(),
      log: (l) => logs.push(l),
      refreshIntervalMs: 10 * 60_000, // only connects and doorbells refresh in this test
      reconciler: { progressIntervalMs: 0 },
    });
    const controller = new AbortController();
    const agent = new Agent({
      dataDir: dev.dataDir,
      links: awsIotLink,
      clock: systemClock,
      log: (l) => logs.push(l),
      heartbeatMs: 1000,
      reconnect: { initialMs: 100, maxMs: 400 },
      mqttPort: broker.port,
      installer,
    });
    const done = agent.run(controller.signal);
    cleanups.push(async () => {
      controller.abort();
      await done;
    });
    await until('a first state report', () => reportsOf(dev).length > 0);

    await dev.desire(v1);
    await ring(dev);
    await until('1.0.0 succeeded', () => detector(dev)?.install?.step === 'succeeded');
    const steps = reportsOf(dev)
      .map((r) => r.models.find((m) => m.model === 'detector')?.install?.step)
      .filter((s, i, all) => s && s !== all[i - 1]);
    expect(steps).toEqual(['downloading', 'verifying', 'installing', 'health_check', 'succeeded']);
    expect(detector(dev)).toMatchObject({ serving: { version: '1.0.0', slot: 'a' }, stats: [{ version: '1.0.0' }] });

    await dev.desire(v2);
    await ring(dev);
    await until(
      '1.1.0 serving',
      () => detector(dev)?.serving?.version === '1.1.0' && detector(dev)?.install?.step === 'succeeded',
    );
    expect(detector(dev)).toMatchObject({ previous: { version: '1.0.0', slot: 'a' } });
    expect(runtime.version('detector')).toBe('1.1.0');

    controller.abort();
    await done;
    expect((await dev.dataDir.readState())?.connection).toBe('stopped');
    const state = ZInstallState.parse(JSON.parse(await readFile(new SlotStore(dev.dir).statePath, 'utf8')));
    expect(state.cleanStop).toBe(true);

    const out: string[] = [];
    const cli = (...args: string[]) =>
      main(['node', 'edgefleet-agent', 'models', '--data-dir', dev.dir, ...args], {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
      });
    expect(await cli('--json')).toBe(0);
    expect(JSON.parse(out.join('\n')).models).toMatchObject([
      {
        model: 'detector',
        serving: { slot: 'b', version: '1.1.0' },
        previous: { slot: 'a', version: '1.0.0' },
        slots: { a: { version: '1.0.0' }, b: { version: '1.1.0', sha256: v2.artifacts[0]?.sha256 } },
        install: { version: '1.1.0', step: 'succeeded' },
        healthCheckPassed: true,
      },
    ]);
    out.length = 0;
    expect(await cli()).toBe(0);
    expect(out.join('\n')).toMatch(/slot a: 1\.0\.0\s+previous\n\s+slot b: 1\.1\.0\s+serving since/);
  });

  it('survives a real SIGKILL during the health check: the next start counts the crash and finishes the install', async () => {
    const dev = await h.device();
    await dev.desire(v1);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('../test/install-child.ts', import.meta.url).pathname, dev.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (c) => logs.push(String(c).trimEnd()));
    child.stderr.on('data', (c) => logs.push(String(c).trimEnd()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    cleanups.push(async () => void child.kill('SIGKILL'));
    const store = new SlotStore(dev.dir);
    // The child's health check lasts the default 10 s: killed in the middle of it.
    await until('the child in health check', async () => {
      const text = await readFile(store.statePath, 'utf8').catch(() => null);
      return text && ZInstallState.parse(JSON.parse(text)).models.detector?.install?.step === 'health_check';
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const runtime = new FakeRuntime();
    const installer = createInstaller({
      dataDir: dev.dataDir,
      identity: await identityOf(dev),
      runtime,
      clock: fastClock(),
      log: (l) => logs.push(l),
    });
    const controller = new AbortController();
    const running = installer.run(controller.signal);
    cleanups.push(async () => {
      controller.abort();
      await running;
    });
    await until('succeeded after the restart', () => installer.report().models[0]?.install?.step === 'succeeded');
    expect(runtime.version('detector')).toBe('1.0.0');
    expect(installer.report().models[0]).toMatchObject({ serving: { version: '1.0.0', slot: 'a' }, restarts: 1 });
    expect(logs.some((l) => l.includes('restart 1 of 3 shortly after switching to 1.0.0'))).toBe(true);
  });
});
