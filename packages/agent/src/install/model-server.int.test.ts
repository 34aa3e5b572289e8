import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeededVersion } from '@edgefleet/core/rollouts/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockBook } from '../inference/locks.ts';
import { ModelServer } from '../inference/model-server.ts';
import { OnnxruntimeNodeBackend } from '../inference/onnxruntime-node.ts';
import { tensor } from '../inference/tensor.ts';
import { fastClock, type InstallHarness, startInstallHarness } from '../test/install-harness.ts';
import { seededInputs, writeClassifierArtifact } from '../test/models.ts';
import { waiter } from '../test/wait.ts';
import { Reconciler } from './reconciler.ts';
import { SlotStore } from './slots.ts';

// The installer driving the real inference server (onnxruntime-node) with real ONNX artifacts.
let h: InstallHarness;
let dir: string;
const versions: Record<string, SeededVersion> = {};
let logs: string[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  h = await startInstallHarness();
  dir = await mkdtemp(join(tmpdir(), 'agent-onnx-'));
  const publish = async (version: string, opts: Parameters<typeof writeClassifierArtifact>[1]) => {
    const file = join(dir, `${version}.onnx`);
    const { target } = await writeClassifierArtifact(file, { model: 'classifier', version, ...opts });
    versions[version] = await h.publishFile(target, await readFile(file));
  };
  await publish('1.0.0', { seed: 1 });
  await publish('1.1.0', { seed: 2, nan: true }); // NaN outputs: fails its smoke test on the device
  await publish('1.2.0', { seed: 3 });
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  logs = [];
});

const until = waiter(() => `log:\n${logs.join('\n')}`, 30_000);
const v = (version: string) => versions[version] as SeededVersion;

describe('installs served by the ModelServer', () => {
  it('serves an installed version, refuses one that fails its smoke test, and switches only when no lock is held', async () => {
    const dev = await h.device();
    const server = new ModelServer({
      backends: [new OnnxruntimeNodeBackend({ accelerators: [], log: () => {} })],
      log: (l) => logs.push(l),
    });
    const locks = new LockBook();
    const r = new Reconciler({
      store: new SlotStore(dev.dir),
      runtime: server,
      server: h.server,
      tls: dev.tls,
      clock: fastClock(),
      log: (l) => logs.push(l),
      locks: () => locks.list(),
      pollMs: 20,
    });
    await r.start();
    const controller = new AbortController();
    const done = r.run(controller.signal);
    stops.push(async () => {
      controller.abort();
      await done;
      await r.stop();
      await server.close();
    });
    const refresh = async () => r.accept(await dev.tuf.refresh());
    const model = () => r.report().models.find((m) => m.model === 'classifier');
    const infer = () => server.infer('classifier', { x: tensor('float32', [1, 4], seededInputs(7, 1, 4)) });

    await dev.desire(v('1.0.0'));
    await refresh();
    await until('1.0.0 succeeded', () => model()?.install?.step === 'succeeded');
    expect((await infer()).version).toBe('1.0.0');
    expect(model()?.stats?.[0]).toMatchObject({ version: '1.0.0', requests: 1, errors: 0 });

    await dev.desire(v('1.1.0'));
    await refresh();
    await until('1.1.0 failed', () => model()?.install?.step === 'failed');
    expect(model()?.install?.reason).toMatch(/smoke test/);
    expect(model()?.install?.retryable).toBe(false);
    expect((await infer()).version).toBe('1.0.0');

    const lock = locks.acquire('camera-app', 600);
    await dev.desire(v('1.2.0'));
    await refresh();
    await until('waiting for the lock', () => model()?.install?.reason?.includes('held by camera-app'));
    expect(model()).toMatchObject({ serving: { version: '1.0.0' }, install: { version: '1.2.0', step: 'installing' } });
    expect((await infer()).version).toBe('1.0.0');
    locks.release(lock.id);
    await until(
      '1.2.0 succeeded',
      () => model()?.serving?.version === '1.2.0' && model()?.install?.step === 'succeeded',
    );
    expect((await infer()).version).toBe('1.2.0');
    expect(model()?.previous).toMatchObject({ version: '1.0.0', slot: 'a' });

    // A rollback loads the previous slot again, with no download.
    await dev.desire(v('1.0.0'), { rollback: true });
    await refresh();
    await until('1.0.0 again', () => model()?.serving?.version === '1.0.0' && model()?.install?.step === 'succeeded');
    expect((await infer()).version).toBe('1.0.0');
  });
});
