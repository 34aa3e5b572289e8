import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { SeededVersion } from '@edgefleet/core/rollouts/testing';
import { type TModelReport, type TStateReport, ZStateReport } from '@edgefleet/protocol/rollout';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../runtime.ts';
import { FakeRuntime } from '../test/fake-runtime.ts';
import { fastClock, type InstallHarness, startInstallHarness, type TestDevice } from '../test/install-harness.ts';
import { waiter } from '../test/wait.ts';
import { digestFile } from './download.ts';
import type { VerifiedInstruction } from './instruction.ts';
import { Reconciler, type ReconcilerDeps } from './reconciler.ts';
import { SlotStore, ZInstallState } from './slots.ts';

const MiB = 2 ** 20;
let h: InstallHarness;
let v1: SeededVersion;
let v2: SeededVersion;
let v3: SeededVersion;
let forged: SeededVersion;
let logs: string[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  h = await startInstallHarness();
  v1 = await h.publish('1.0.0');
  v2 = await h.publish('1.1.0');
  v3 = await h.publish('1.2.0');
  // Signed with a key that is not the one the registry (and the director's delegation) names.
  const { makePublisherKey } = await import('@edgefleet/core/registry/testing');
  forged = await h.publish('1.3.0', { signer: makePublisherKey() });
});
afterAll(() => h?.close());
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  h.fleet.faults.length = 0;
  logs = [];
});

/** Backoff waits of 50 s or more really wait; everything else passes quickly. */
const slowRetryClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => delay(ms >= 50_000 ? ms : Math.min(ms, 20), undefined, { signal }),
};

const until = waiter(() => `log:\n${logs.join('\n')}`);

interface Running {
  r: Reconciler;
  runtime: FakeRuntime;
  reports: TStateReport[];
  store: SlotStore;
  /** Stops the loop, like SIGTERM (a clean stop) unless `crash`. */
  stop(opts?: { crash?: boolean }): Promise<void>;
  refresh(): Promise<VerifiedInstruction>;
  model(): TModelReport | undefined;
}

/** Starts a reconciler (a fresh "process") on the device's data dir and runs its loop. */
async function start(
  dev: TestDevice,
  extra: Partial<Omit<ReconcilerDeps, 'runtime'>> & { runtime?: FakeRuntime } = {},
): Promise<Running> {
  device = dev.id;
  const runtime = extra.runtime ?? new FakeRuntime();
  const reports: TStateReport[] = [];
  const store = extra.store ?? new SlotStore(dev.dir);
  const r = new Reconciler({
    store,
    runtime,
    server: h.server,
    tls: dev.tls,
    clock: fastClock(),
    log: (l) => logs.push(l),
    onReport: (report) => reports.push(ZStateReport.parse(report)),
    download: { retry: { initialMs: 5, maxMs: 20 }, maxAttempts: 3 },
    progressIntervalMs: 0,
    pollMs: 20,
    failureBackoff: { initialMs: 10, maxMs: 50 },
    ...extra,
  });
  await r.start();
  const controller = new AbortController();
  const done = r.run(controller.signal);
  let stopped = false;
  const stop = async (opts: { crash?: boolean } = {}) => {
    if (stopped) return;
    stopped = true;
    controller.abort();
    // A loop frozen by a test (a "killed" agent) never returns; it is abandoned.
    await Promise.race([done, delay(300)]);
    if (!opts.crash) await r.stop();
  };
  stops.push(() => stop({ crash: true }));
  return {
    r,
    runtime,
    reports,
    store,
    stop,
    async refresh() {
      const vi = await dev.tuf.refresh();
      await r.accept(vi);
      return vi;
    },
    model: () => r.report().models.find((m) => m.model === 'detector'),
  };
}

const steps = (reports: TStateReport[]) =>
  reports
    .map((r) => r.models.find((m) => m.model === 'detector')?.install)
    .filter((i) => i !== undefined)
    .map((i) => `${i.version} ${i.step}`)
    .filter((s, i, all) => s !== all[i - 1]);

let device = '';
/** This test's device's requests for an artifact (other tests' devices fetch the same ones). */
const artifactRequests = (sha: string) =>
  h.fleet.requests.filter((r) => r.path === `/v1/artifacts/${sha}` && r.clientCn === device);
const sha = (v: SeededVersion) => v.artifacts[0]?.sha256 ?? '';

/** Installs v1 and then `then` (if given) and waits for both to serve. */
async function serving(dev: TestDevice, run: Running, ...versions: SeededVersion[]) {
  for (const v of versions) {
    await dev.desire(v);
    await run.refresh();
    await until(`${v.version} serving`, () => {
      const m = run.model();
      return m?.serving?.version === v.version && m.install?.step === 'succeeded';
    });
  }
}

/** Everything on disk agrees with state.json: slot files hash to what it records, nothing stray. */
async function expectConsistent(dev: TestDevice) {
  const store = new SlotStore(dev.dir);
  const state = ZInstallState.parse(JSON.parse(await readFile(store.statePath, 'utf8')));
  for (const [model, ms] of Object.entries(state.models)) {
    expect(ms.installing).toBeUndefined();
    const dirs = (await readdir(store.modelDir(model)).catch(() => [])).sort();
    expect(dirs).toEqual(
      Object.entries(ms.slots)
        .filter(([, c]) => c)
        .map(([s]) => s)
        .sort(),
    );
    for (const [slot, content] of Object.entries(ms.slots)) {
      if (!content) continue;
      const file = store.slotFile(model, slot as 'a' | 'b', content);
      expect(await digestFile(file)).toEqual({ sha256: content.sha256, length: content.length });
    }
  }
  return state;
}

describe('the install reconciler', () => {
  it('installs a signed version through every step, then the next one into the other slot', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    expect(steps(run.reports)).toEqual([
      '1.0.0 downloading',
      '1.0.0 verifying',
      '1.0.0 installing',
      '1.0.0 health_check',
      '1.0.0 succeeded',
    ]);
    expect(run.runtime.version('detector')).toBe('1.0.0');
    const downloading = run.reports.map((r) => r.models[0]?.install).find((i) => i?.bytes);
    expect(downloading?.totalBytes).toBe(v1.artifacts[0]?.length);

    await serving(dev, run, v2);
    const m = run.model();
    expect(m).toMatchObject({
      serving: { version: '1.1.0', slot: 'b' },
      previous: { version: '1.0.0', slot: 'a' },
      install: { version: '1.1.0', step: 'succeeded', attempt: 0 },
      stats: [{ version: '1.1.0' }],
      restarts: 0,
    });
    expect(run.reports.at(-1)?.instructionVersion).toBeGreaterThanOrEqual(2);
    const state = await expectConsistent(dev);
    expect(state.models.detector?.switch).toMatchObject({ version: '1.1.0', healthy: true });
    expect(await readdir(run.store.stagingDir)).toEqual([]);
  });

  it('resumes a download the server cut at 50% with a Range request, fetching the rest only', async () => {
    const dev = await h.device();
    const run = await start(dev);
    h.fleet.faults.push({ kind: 'cut', fraction: 0.5 });
    const before = h.fleet.bytesSent;
    await serving(dev, run, v1);
    const length = v1.artifacts[0]?.length ?? 0;
    const requests = artifactRequests(sha(v1));
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${Math.floor(length / 2)}-`]);
    expect(h.fleet.bytesSent - before).toBe(length);
    expect(requests.every((r) => r.clientCn === dev.id)).toBe(true);
  });

  it('resumes a .part download after a restart', async () => {
    const dev = await h.device();
    // A long backoff after the cut: the agent is stopped while it waits, with half the file on disk.
    const first = await start(dev, {
      download: { retry: { initialMs: 50_000, maxMs: 50_000, jitter: 0 } },
      clock: slowRetryClock,
    });
    h.fleet.faults.push({ kind: 'cut', fraction: 0.5 });
    await dev.desire(v1);
    await first.refresh();
    const part = first.store.partPath(sha(v1));
    const half = Math.floor((v1.artifacts[0]?.length ?? 0) / 2);
    await until('half the artifact on disk', async () => (await stat(part).catch(() => null))?.size === half);
    await first.stop({ crash: true });

    const second = await start(dev);
    // It reconciles from the instruction it verified before, without asking the gateway again.
    await until('1.0.0 serving', () => second.model()?.install?.step === 'succeeded');
    expect(artifactRequests(sha(v1)).map((r) => r.range)).toEqual([undefined, `bytes=${half}-`]);
    await expectConsistent(dev);
  });

  it('cuts an endless stream at the signed length and refuses it; the serving version stays', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    h.fleet.faults.push({ kind: 'endless' });
    await dev.desire(v2);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '1.1.0', retryable: false });
    expect(failed?.install?.reason).toContain('more than the signed length');
    expect(failed?.serving?.version).toBe('1.0.0');
    expect(run.runtime.version('detector')).toBe('1.0.0');
    expect(await readdir(run.store.stagingDir)).toEqual([]);
  });

  it('refuses a corrupted artifact, deletes it from staging, and keeps serving the previous version', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    h.fleet.faults.push({ kind: 'corrupt' });
    await dev.desire(v2);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '1.1.0', retryable: false });
    expect(failed?.install?.reason).toContain('does not match its signature');
    expect(failed?.serving?.version).toBe('1.0.0');
    expect(await readdir(run.store.stagingDir)).toEqual([]);
    // Not retried for the same attempt.
    await new Promise((r) => setTimeout(r, 150));
    expect(artifactRequests(sha(v2))).toHaveLength(1);
    // A new attempt downloads again (and this time the bytes are right).
    await dev.desire(v2, { attempt: 1 });
    await run.refresh();
    await until('1.1.0 serving', () => run.model()?.serving?.version === '1.1.0');
  });

  it('refuses a version whose publisher signature is wrong, without downloading it', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    await dev.desire(forged);
    const vi = await run.refresh();
    expect(vi.targets[forged.artifacts[0]?.path ?? '']).toMatchObject({ ok: false });
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '1.3.0', retryable: false });
    expect(failed?.install?.reason).toMatch(/publisher metadata detector@1\.3\.0 refused/);
    expect(artifactRequests(sha(forged))).toEqual([]);
    expect(run.runtime.version('detector')).toBe('1.0.0');
  });

  it('does not switch to a version that fails its smoke test; the previous version stays in its slot', async () => {
    const dev = await h.device();
    const runtime = new FakeRuntime();
    runtime.failSmoke.add('1.2.0');
    const run = await start(dev, { runtime });
    await serving(dev, run, v1, v2);
    await dev.desire(v3);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '1.2.0', retryable: false });
    expect(failed?.install?.reason).toContain('smoke test');
    expect(failed).toMatchObject({ serving: { version: '1.1.0' }, previous: { version: '1.0.0', slot: 'a' } });
    expect(runtime.calls).not.toContain('activate detector@1.2.0');
    await expectConsistent(dev);
  });

  it('refuses before downloading an artifact larger than the free disk', async () => {
    const dev = await h.device();
    const run = await start(dev, { download: { statfs: async () => ({ bavail: 1, bsize: 1024 }), reserveBytes: 0 } });
    await dev.desire(v1);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '1.0.0', retryable: false });
    expect(failed?.install?.reason).toContain('not enough disk space');
    expect(artifactRequests(sha(v1))).toEqual([]);
  });

  it('refuses before downloading an artifact no backend on the device can run', async () => {
    const dev = await h.device();
    const runtime = new FakeRuntime();
    runtime.missingAccelerators.add('edgetpu');
    const run = await start(dev, { runtime });
    const tpu = await h.publish('5.0.0', {
      variants: [{ runtime: 'tflite', accelerator: 'edgetpu', precision: 'int8' }],
    });
    await dev.desire(tpu);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '5.0.0', retryable: false });
    expect(failed?.install?.reason).toContain('no backend here can use edgetpu');
    expect(artifactRequests(sha(tpu))).toEqual([]);
  });

  it('refuses before downloading a model that declares more memory than is available', async () => {
    const dev = await h.device();
    const run = await start(dev, { download: { freemem: () => 200 * MiB } });
    const big = await h.publish('4.0.0', { variants: [{ memoryBytes: 512 * MiB }] });
    await dev.desire(big);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install).toMatchObject({ version: '4.0.0', retryable: false });
    expect(failed?.install?.reason).toBe(
      'not enough memory: the model needs 512.0 MB, 200.0 MB is available; the serving and previous versions are kept',
    );
    expect(artifactRequests(sha(big))).toEqual([]);
    expect(run.runtime.calls.filter((c) => c.startsWith('prepare'))).toEqual([]);
  });

  it('counts the memory the serving version gives back when it checks a replacement', async () => {
    const dev = await h.device();
    let available = 4096 * MiB;
    const run = await start(dev, { download: { freemem: () => available } });
    const small = await h.publish('4.1.0', { variants: [{ memoryBytes: 300 * MiB }] });
    const larger = await h.publish('4.2.0', { variants: [{ memoryBytes: 350 * MiB }] });
    const huge = await h.publish('4.3.0', { variants: [{ memoryBytes: 1024 * MiB }] });
    await serving(dev, run, small);
    available = 100 * MiB;
    // 100 MB available + 300 MB given back by 4.1.0 ≥ 350 MB.
    await serving(dev, run, larger);
    await dev.desire(huge);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install?.reason).toBe(
      'not enough memory: the model needs 1024.0 MB, 100.0 MB is available and unloading the version it replaces ' +
        'frees 350.0 MB; the serving and previous versions are kept',
    );
    expect(failed?.serving?.version).toBe('4.2.0');
    expect(artifactRequests(sha(huge))).toEqual([]);
  });

  it('switches back to the previous slot at once on a rollback instruction, without a download', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1, v2);
    const requests = h.fleet.requests.length;
    await dev.desire(v1, { rollback: true });
    await run.refresh();
    await until('1.0.0 serving', () => run.model()?.serving?.version === '1.0.0');
    expect(run.model()).toMatchObject({ serving: { slot: 'a' }, previous: { version: '1.1.0', slot: 'b' } });
    expect(
      h.fleet.requests.slice(requests).filter((r) => r.path.startsWith('/v1/artifacts/') && r.clientCn === dev.id),
    ).toEqual([]);
    expect(logs).toContain('detector: rolled back to 1.0.0 from slot a');
    await until('succeeded', () => run.model()?.install?.step === 'succeeded');
  });

  it('refuses a downgrade without the signed rollback flag', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1, v2);
    await dev.desire(v1);
    await run.refresh();
    const failed = await until('failed', () => (run.model()?.install?.step === 'failed' ? run.model() : null));
    expect(failed?.install?.reason).toContain('refusing to downgrade detector from 1.1.0 to 1.0.0');
    expect(failed?.serving?.version).toBe('1.1.0');
  });

  it('reverts to the previous slot by itself after three crash starts shortly after a switch', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1, v2);
    await run.stop({ crash: true });
    for (const n of [1, 2]) {
      const again = await start(dev);
      expect(again.runtime.version('detector')).toBe('1.1.0');
      expect(logs.some((l) => l.includes(`restart ${n} of 3 shortly after switching to 1.1.0`))).toBe(true);
      await again.stop({ crash: true });
    }
    const third = await start(dev);
    expect(third.runtime.version('detector')).toBe('1.0.0');
    const m = third.model();
    expect(m).toMatchObject({
      serving: { version: '1.0.0', slot: 'a' },
      install: { version: '1.1.0', step: 'rolled_back' },
    });
    expect(m?.install?.reason).toMatch(/^crash loop/);
    // It stays there: the crashed version is not installed again for the same attempt.
    await new Promise((r) => setTimeout(r, 150));
    expect(third.runtime.version('detector')).toBe('1.0.0');
    await third.stop();
    // A clean stop and start is not a crash.
    const fourth = await start(dev);
    expect(fourth.model()?.restarts).toBe(0);
  });

  it('keeps serving after a restart while the gateway is unreachable', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    await run.stop();
    const offline = await start(dev, { server: new URL('https://127.0.0.1:1') });
    expect(offline.runtime.version('detector')).toBe('1.0.0');
    expect(offline.model()).toMatchObject({ serving: { version: '1.0.0' }, install: { step: 'succeeded' } });
  });

  it('runs a shadow candidate from the inactive slot, then activates it without a download', async () => {
    const dev = await h.device();
    const run = await start(dev);
    await serving(dev, run, v1);
    await dev.desire(v1, { shadow: { version: v2, samplePercent: 25 } });
    await run.refresh();
    await until('shadowing', () => run.runtime.shadow.get('detector')?.samplePercent === 25);
    expect(run.model()?.shadow).toMatchObject({ version: '1.1.0' });
    // The shadow's download never shows as the serving install.
    expect(steps(run.reports).filter((s) => s.startsWith('1.1.0'))).toEqual([]);
    const downloads = artifactRequests(sha(v2)).length;
    await dev.desire(v2, { shadow: null });
    await run.refresh();
    await until(
      '1.1.0 serving',
      () => run.model()?.install?.step === 'succeeded' && run.model()?.serving?.version === '1.1.0',
    );
    expect(run.runtime.shadow.has('detector')).toBe(false);
    expect(artifactRequests(sha(v2))).toHaveLength(downloads);
  });
});

describe('an agent killed at each install step', () => {
  const never = () => new Promise<never>(() => {});

  /** Runs until `kill` freezes the "process", then starts a new one on the same data dir. */
  async function killAndRestart(
    name: string,
    freeze: (runtime: FakeRuntime, store: FreezableStore) => void,
    frozen: (dev: TestDevice, store: SlotStore) => Promise<boolean>,
    extra: Partial<Omit<ReconcilerDeps, 'runtime'>> = {},
  ) {
    const dev = await h.device();
    const runtime = new FakeRuntime();
    const store = new FreezableStore(dev.dir);
    const run = await start(dev, { runtime, store, ...extra });
    await serving(dev, run, v1);
    freeze(runtime, store);
    await dev.desire(v2);
    await run.refresh();
    await until(`frozen ${name}`, () => frozen(dev, store));
    await run.stop({ crash: true });
    // The frozen loop never resumes: like a killed process, it leaves the files as they are.
    const after = await start(dev);
    await until('1.1.0 serving after the restart', () => {
      const m = after.model();
      return m?.serving?.version === '1.1.0' && m.install?.step === 'succeeded';
    });
    expect(after.runtime.version('detector')).toBe('1.1.0');
    const state = await expectConsistent(dev);
    expect(state.models.detector).toMatchObject({ serving: 'b', previous: 'a' });
    expect(await readdir(after.store.stagingDir)).toEqual([]);
    return { dev, after };
  }

  class FreezableStore extends SlotStore {
    freezeMove: 'before' | 'after' | null = null;
    frozen = false;
    override async moveIntoSlot(model: string, slot: 'a' | 'b', sha256: string, file: string) {
      if (this.freezeMove === 'before') {
        this.frozen = true;
        return never();
      }
      await super.moveIntoSlot(model, slot, sha256, file);
      if (this.freezeMove === 'after') {
        this.frozen = true;
        return never();
      }
    }
  }

  it('while downloading', async () => {
    await killAndRestart(
      'mid-download',
      () => h.fleet.faults.push({ kind: 'cut', fraction: 0.5 }),
      async (dev) => {
        const part = join(dev.dir, 'models', '.staging', `${sha(v2)}.part`);
        return (await stat(part).catch(() => null))?.size === Math.floor((v2.artifacts[0]?.length ?? 0) / 2);
      },
      // After the cut it waits (a long backoff) with half the file on disk: killed there.
      { download: { retry: { initialMs: 50_000, maxMs: 50_000, jitter: 0 } }, clock: slowRetryClock },
    );
    expect(artifactRequests(sha(v2)).at(-1)?.range).toBe(`bytes=${Math.floor((v2.artifacts[0]?.length ?? 0) / 2)}-`);
  });

  it('while smoke-testing the staged artifact (installing, slot untouched)', async () => {
    let hit = false;
    await killAndRestart(
      'in prepare',
      (runtime) => {
        runtime.onPrepare = (_m, version) => {
          if (version !== '1.1.0') return;
          hit = true;
          return never();
        };
      },
      async () => hit,
    );
  });

  it('after marking the slot as being installed, before the file moved', async () => {
    await killAndRestart(
      'before the move',
      (_r, store) => {
        store.freezeMove = 'before';
      },
      async (_d, store) => (store as FreezableStore).frozen,
    );
  });

  it('after the file moved into the slot, before it was recorded', async () => {
    const { after } = await killAndRestart(
      'after the move',
      (_r, store) => {
        store.freezeMove = 'after';
      },
      async (_d, store) => (store as FreezableStore).frozen,
    );
    expect(logs.some((l) => l.includes('discarded slot b, its install was interrupted'))).toBe(true);
    expect(after).toBeDefined();
  });

  it('while switching (state says the new slot serves, the runtime had not switched yet)', async () => {
    let hit = false;
    await killAndRestart(
      'in activate',
      (runtime) => {
        const activate = runtime.activate.bind(runtime);
        runtime.activate = async (model, prepared) => {
          if (prepared.version !== '1.1.0') return activate(model, prepared);
          hit = true;
          return never();
        };
      },
      async () => hit,
    );
  });

  it('during the health check', async () => {
    const dev = await h.device();
    const run = await start(dev, { clock: fastClock(60_000) });
    await dev.desire(v1);
    await run.refresh();
    await until('health check', () => run.model()?.install?.step === 'health_check');
    await run.stop({ crash: true });
    const after = await start(dev);
    await until('succeeded', () => after.model()?.install?.step === 'succeeded');
    expect(after.model()?.restarts).toBe(1);
    await expectConsistent(dev);
  });
});
