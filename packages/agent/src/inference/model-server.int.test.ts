import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClassifierModel,
  classifierSmokeTest,
  classifierTarget,
  seededInputs,
  writeClassifierModel,
} from '../test/models.ts';
import type { Backend } from './backend.ts';
import { InferenceError } from './errors.ts';
import { FakeBackend } from './fake-backend.ts';
import { ModelServer } from './model-server.ts';
import { OnnxruntimeNodeBackend } from './onnxruntime-node.ts';
import { tensor } from './tensor.ts';

let dir: string;
const models: Record<string, ClassifierModel> = {};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-server-'));
  // v1 and v1copy: the same weights in two files; v2, v3: retrained (other seeds).
  models.v1 = await writeClassifierModel(join(dir, 'v1.onnx'), { seed: 1 });
  models.v1copy = await writeClassifierModel(join(dir, 'v1copy.onnx'), { seed: 1 });
  models.v2 = await writeClassifierModel(join(dir, 'v2.onnx'), { seed: 2 });
  models.v3 = await writeClassifierModel(join(dir, 'v3.onnx'), { seed: 3 });
  models.reg = await writeClassifierModel(join(dir, 'reg.onnx'), { seed: 5, classes: 1, head: 'linear' });
  models.regcopy = await writeClassifierModel(join(dir, 'regcopy.onnx'), { seed: 5, classes: 1, head: 'linear' });
  models.reg2 = await writeClassifierModel(join(dir, 'reg2.onnx'), { seed: 6, classes: 1, head: 'linear' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const m = (key: string) => models[key] as ClassifierModel;
const target = (key: string, version: string, extra: Partial<TModelTargetCustom> = {}) => ({
  ...classifierTarget(m(key), { model: 'classifier', version }),
  ...extra,
});
const nativeBackend = () => new OnnxruntimeNodeBackend({ accelerators: [], log: () => {} });

function makeServer(backends: Backend[], extra: Partial<ConstructorParameters<typeof ModelServer>[0]> = {}) {
  const lines: string[] = [];
  const server = new ModelServer({ backends, log: (l) => lines.push(l), ...extra });
  return { server, lines };
}

async function serve(server: ModelServer, key: string, version: string) {
  const prepared = await server.prepare('classifier', version, m(key).file, target(key, version));
  await server.activate('classifier', prepared);
  return prepared;
}

const feeds = (seed: number, batch = 1) => ({ x: tensor('float32', [batch, 4], seededInputs(seed, batch, 4)) });

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as InferenceError,
  );

describe('ModelServer: prepare, activate, infer', () => {
  it('serves a prepared version with the answers of its model, and reports stats', async () => {
    const { server, lines } = makeServer([nativeBackend()]);
    expect(server.ready()).toBe(true);
    const prepared = await serve(server, 'v1', '1.0.0');
    expect(prepared).toMatchObject({
      model: 'classifier',
      version: '1.0.0',
      backend: 'onnxruntime-node',
      accelerator: 'cpu',
      executionProvider: 'cpu',
      smoke: { ok: true },
    });
    expect(lines.join('\n')).toMatch(/classifier@1\.0\.0: loaded with onnxruntime-node \(cpu\); smoke test passed in/);
    for (let i = 0; i < 20; i++) {
      const r = await server.infer('classifier', feeds(i));
      expect(r.version).toBe('1.0.0');
      const want = m('v1').predict(seededInputs(i, 1, 4), 1);
      Array.from(r.outputs.scores?.data as Float32Array).forEach((v, j) => {
        expect(v).toBeCloseTo(want[j] as number, 5);
      });
    }
    await expect(server.infer('classifier', { x: tensor('float32', [1, 2], [1, 2]) })).rejects.toThrow(
      /shape \[1, 2\]/,
    );
    const report = server.report('classifier');
    expect(report.stats).toEqual([
      { version: '1.0.0', requests: 21, errors: 1, p50Ms: expect.any(Number), p95Ms: expect.any(Number) },
    ]);
    expect(report.stats[0]?.p50Ms).toBeLessThanOrEqual(report.stats[0]?.p95Ms as number);
    expect(report.shadow).toBeUndefined();
    expect(server.describe('classifier')).toMatchObject({
      version: '1.0.0',
      runtime: 'onnx',
      backend: 'onnxruntime-node',
    });
    await server.close();
    expect(server.list()).toEqual([]);
  });

  it('refuses an artifact whose smoke test fails, unloading what it loaded', async () => {
    const fake = new FakeBackend();
    const { server } = makeServer([fake]);
    const bad = target('v1', '1.0.0', { smokeTest: classifierSmokeTest(m('v1'), { wrongOutput: true }) });
    const e = await errorOf(server.prepare('classifier', '1.0.0', m('v1').file, bad));
    expect(e).toBeInstanceOf(InferenceError);
    expect(e.code).toBe('smoke_test');
    expect(e.message).toMatch(/^classifier@1\.0\.0 failed its smoke test: output "scores" is/);
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([true]);
    // A smoke test computed for other weights fails too: v2's file with v1's expectations.
    const swapped = await errorOf(server.prepare('classifier', '1.0.0', m('v2').file, target('v1', '1.0.0')));
    expect(swapped.code).toBe('smoke_test');
  });

  it('refuses artifacts that do not match their declaration or have no backend', async () => {
    const { server } = makeServer([new FakeBackend()]);
    const wrongVersion = await errorOf(server.prepare('classifier', '2.0.0', m('v1').file, target('v1', '1.0.0')));
    expect([wrongVersion.code, wrongVersion.message]).toEqual([
      'bad_artifact',
      'the artifact is classifier@1.0.0, not classifier@2.0.0',
    ]);
    const renamed = target('v1', '1.0.0');
    renamed.tensors = { ...renamed.tensors, inputs: [{ name: 'image', dtype: 'float32', shape: ['batch', 4] }] };
    const mismatch = await errorOf(server.prepare('classifier', '1.0.0', m('v1').file, renamed));
    expect(mismatch.message).toBe(
      'classifier@1.0.0: the artifact declares input "image", which the model does not have',
    );
    const tflite = await errorOf(
      server.prepare(
        'classifier',
        '1.0.0',
        m('v1').file,
        target('v1', '1.0.0', { runtime: 'tflite', accelerator: 'edgetpu' }),
      ),
    );
    expect([tflite.code, tflite.message]).toEqual([
      'no_backend',
      'no backend here runs tflite models built for edgetpu (fake: reads onnx only)',
    ]);
    expect((await errorOf(server.infer('classifier', feeds(1)))).code).toBe('not_found');
  });

  it('is not ready while a model that serves nothing yet is being prepared', async () => {
    const { server } = makeServer([new FakeBackend({ delayMs: 80 })]);
    const preparing = server.prepare('classifier', '1.0.0', m('v1').file, target('v1', '1.0.0'));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.ready()).toBe(false);
    await server.activate('classifier', await preparing);
    expect(server.ready()).toBe(true);
    // Preparing the next version of a serving model does not make the server unready.
    const next = server.prepare('classifier', '2.0.0', m('v2').file, target('v2', '2.0.0'));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.ready()).toBe(true);
    await server.discard(await next);
    await server.close();
  });

  it('unloads: a discarded preparation, a replaced version, a whole model', async () => {
    const fake = new FakeBackend();
    const { server } = makeServer([fake]);
    const p1 = await serve(server, 'v1', '1.0.0');
    const p2 = await server.prepare('classifier', '2.0.0', m('v2').file, target('v2', '2.0.0'));
    await server.discard(p2);
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([false, true]);
    await expect(server.activate('classifier', p2)).rejects.toThrow(/has been unloaded/);
    await server.discard(p1); // serving: left alone
    expect((await server.infer('classifier', feeds(1))).version).toBe('1.0.0');
    await server.unload('classifier');
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([true, true]);
    expect((await errorOf(server.infer('classifier', feeds(1)))).code).toBe('not_found');
  });
});

describe('ModelServer: a request that outlasts the drain timeout', () => {
  it('activate() returns after the timeout; the old session unloads when the request returns', async () => {
    const fake: FakeBackend = new FakeBackend({ delayMs: (s) => (s === fake.sessions[0] && s.calls > 1 ? 300 : 0) });
    const { server, lines } = makeServer([fake], { drainTimeoutMs: 50 });
    await serve(server, 'v1', '1.0.0');
    const slow = server.infer('classifier', feeds(1));
    const started = performance.now();
    await serve(server, 'v2', '2.0.0');
    expect(performance.now() - started).toBeLessThan(250);
    expect(lines.at(-1)).toBe('classifier@1.0.0: 1 request(s) still running after 50 ms; unloads when they return');
    expect(fake.sessions[0]?.unloaded).toBe(false);
    expect((await slow).version).toBe('1.0.0');
    await new Promise((r) => setImmediate(r));
    expect(fake.sessions[0]?.unloaded).toBe(true);
    expect(fake.sessions[0]?.unloadedWhileBusy).toBe(0);
    await server.close();
  });
});

describe('ModelServer: switching versions under load', () => {
  /** `loops` concurrent request loops until `stop`; every answer checked against the model of the version that gave it. */
  function load(server: ModelServer, loops: number, byVersion: Record<string, ClassifierModel>) {
    let stop = false;
    const failures: string[] = [];
    const seen: string[][] = Array.from({ length: loops }, () => []);
    let requests = 0;
    const runs = Array.from({ length: loops }, async (_, loop) => {
      for (let i = 0; !stop; i++) {
        const seed = loop * 1_000_000 + i;
        try {
          const r = await server.infer('classifier', feeds(seed, 2));
          requests++;
          const want = byVersion[r.version]?.predict(seededInputs(seed, 2, 4), 2);
          const got = r.outputs.scores?.data as Float32Array;
          if (!want || got.some((v, j) => Math.abs(v - (want[j] as number)) > 1e-5)) {
            failures.push(`${r.version} answered with another version's outputs`);
          }
          if (seen[loop]?.at(-1) !== r.version) seen[loop]?.push(r.version);
        } catch (e) {
          failures.push((e as Error).message);
        }
        if (i % 4 === 0) await new Promise((r) => setImmediate(r));
      }
    });
    return {
      stop: async () => {
        stop = true;
        await Promise.all(runs);
        return { failures, seen, requests };
      },
    };
  }

  it('onnxruntime-node: 4 loops, two swaps, no request fails and each answer comes from the version it names', async () => {
    const { server } = makeServer([nativeBackend()]);
    await serve(server, 'v1', '1.0.0');
    const traffic = load(server, 4, { '1.0.0': m('v1'), '2.0.0': m('v2'), '3.0.0': m('v3') });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const started = performance.now();
    await sleep(400);
    await serve(server, 'v2', '2.0.0');
    await sleep(400);
    await serve(server, 'v3', '3.0.0');
    await sleep(400);
    const { failures, seen, requests } = await traffic.stop();
    const seconds = (performance.now() - started) / 1000;
    expect(failures).toEqual([]);
    // Per loop the versions only move forward: once a loop saw 2.0.0 it never got 1.0.0 again.
    for (const s of seen) expect(s).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    const stats = server.report('classifier').stats;
    expect(stats.map((s) => s.version)).toEqual(['3.0.0', '2.0.0', '1.0.0']);
    expect(stats.reduce((n, s) => n + s.requests, 0)).toBe(requests);
    expect(stats.every((s) => s.errors === 0)).toBe(true);
    console.info(
      `swap under load (onnxruntime-node, 4 loops, batch 2): ${requests} requests in ${seconds.toFixed(2)} s ` +
        `(${Math.round(requests / seconds)}/s), 0 failed; p50/p95 per version: ` +
        stats.map((s) => `${s.version} ${s.p50Ms}/${s.p95Ms} ms`).join(', '),
    );
    await server.close();
  });

  it('a session is unloaded only after its last request returns, and activate() waits for that', async () => {
    // 5-15 ms per inference keeps requests in flight at every swap.
    let tick = 0;
    const fake = new FakeBackend({ delayMs: () => 5 + (tick++ % 11) });
    const { server } = makeServer([fake]);
    await serve(server, 'v1', '1.0.0');
    const traffic = load(server, 8, { '1.0.0': m('v1'), '2.0.0': m('v2'), '3.0.0': m('v3'), '4.0.0': m('v1copy') });
    const versions = [
      ['v2', '2.0.0'],
      ['v3', '3.0.0'],
      ['v1copy', '4.0.0'],
    ] as const;
    for (const [i, [key, version]] of versions.entries()) {
      await new Promise((r) => setTimeout(r, 120));
      const old = fake.sessions[i];
      expect(old?.inflight).toBeGreaterThan(0);
      await serve(server, key, version);
      // activate() returned: the old session has drained and been unloaded.
      expect(old?.unloaded).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 120));
    const { failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(fake.sessions.map((s) => s.unloadedWhileBusy)).toEqual([0, 0, 0, 0]);
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([true, true, true, false]);
    expect(fake.sessions[3]?.maxInflight).toBeGreaterThan(1);
    await server.close();
  });
});

describe('ModelServer: shadow', () => {
  async function shadowRun(servingKey: string, candidateKey: string, n: number, extra = {}) {
    const { server, lines } = makeServer([nativeBackend()], extra);
    const prepared = await server.prepare('classifier', '1.0.0', m(servingKey).file, target(servingKey, '1.0.0'));
    await server.activate('classifier', prepared);
    const candidate = await server.prepare('classifier', '2.0.0', m(candidateKey).file, target(candidateKey, '2.0.0'));
    await server.setShadow('classifier', candidate, 100);
    for (let i = 0; i < n; i++) {
      const r = await server.infer('classifier', feeds(i, 1));
      expect(r.version).toBe('1.0.0');
    }
    await server.idle();
    return { server, lines, candidate };
  }

  it('an identical candidate agrees on every sample', async () => {
    const { server } = await shadowRun('v1', 'v1copy', 50);
    expect(server.report('classifier').shadow).toEqual({
      version: '2.0.0',
      samples: 50,
      agreement: 1,
      candidateP95Ms: expect.any(Number),
      servingP95Ms: expect.any(Number),
      errors: 0,
    });
    expect(server.describe('classifier')?.shadow).toEqual({ version: '2.0.0', samplePercent: 100 });
    await server.close();
  });

  it('a retrained candidate (other weights) disagrees on some samples', async () => {
    const { server } = await shadowRun('v1', 'v2', 200);
    const shadow = server.report('classifier').shadow;
    expect(shadow?.samples).toBe(200);
    expect(shadow?.agreement).toBeLessThan(1);
    expect(shadow?.agreement).toBeGreaterThan(0);
    console.info(`shadow agreement v1 vs v2 (different weights) over 200 samples: ${shadow?.agreement}`);
    await server.close();
  });

  it('compares outputs that are not class scores by mean absolute difference', async () => {
    const same = await shadowRun('reg', 'regcopy', 30);
    expect(same.server.report('classifier').shadow).toMatchObject({ samples: 30, agreement: 1, meanAbsDiff: 0 });
    await same.server.close();
    const other = await shadowRun('reg', 'reg2', 30);
    const shadow = other.server.report('classifier').shadow;
    expect(shadow?.agreement).toBeLessThan(1);
    expect(shadow?.meanAbsDiff).toBeGreaterThan(1e-4);
    await other.server.close();
  });

  it('samples the given share of requests', async () => {
    let i = 0;
    const { server } = makeServer([nativeBackend()], { random: () => (i++ % 4) / 4 }); // 0, .25, .5, .75, …
    await serve(server, 'v1', '1.0.0');
    const candidate = await server.prepare('classifier', '2.0.0', m('v1copy').file, target('v1copy', '2.0.0'));
    await server.setShadow('classifier', candidate, 50);
    for (let k = 0; k < 40; k++) await server.infer('classifier', feeds(k));
    await server.idle();
    expect(server.report('classifier').shadow?.samples).toBe(20);
    await server.close();
  });

  it('never delays the answer for the candidate, and counts its failures', async () => {
    const fake: FakeBackend = new FakeBackend({
      delayMs: (session) => (session === fake.sessions[1] ? 200 : 0),
      failInfer: (_, session) => (session === fake.sessions[1] && session.calls > 1 ? 'out of memory' : undefined),
    });
    const { server, lines } = makeServer([fake]);
    await serve(server, 'v1', '1.0.0');
    const candidate = await server.prepare('classifier', '2.0.0', m('v1copy').file, target('v1copy', '2.0.0'));
    await server.setShadow('classifier', candidate);
    for (const seed of [1, 2]) {
      const started = performance.now();
      expect((await server.infer('classifier', feeds(seed))).version).toBe('1.0.0');
      expect(performance.now() - started).toBeLessThan(100); // the candidate takes 200 ms
    }
    await server.idle();
    expect(server.report('classifier').shadow).toMatchObject({ samples: 2, agreement: 0, errors: 2 });
    expect(lines.filter((l) => l.includes('(shadow)'))).toEqual([
      'classifier@2.0.0 (shadow): fake inference failed: out of memory',
    ]);
    const other = makeServer([fake]).server;
    await expect(other.setShadow('classifier', candidate)).rejects.toThrow(/not a version this server prepared/);
    await server.close();
  });

  it('promoting the candidate ends the shadow; clearing it unloads the candidate', async () => {
    const fake = new FakeBackend();
    const { server } = makeServer([fake]);
    await serve(server, 'v1', '1.0.0');
    const c2 = await server.prepare('classifier', '2.0.0', m('v1copy').file, target('v1copy', '2.0.0'));
    await server.setShadow('classifier', c2, 100);
    await server.infer('classifier', feeds(1));
    await server.idle();
    await server.activate('classifier', c2);
    expect(server.describe('classifier')).toMatchObject({ version: '2.0.0' });
    expect(server.describe('classifier')?.shadow).toBeUndefined();
    expect(server.report('classifier').shadow).toBeUndefined();
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([true, false]);
    const c3 = await server.prepare('classifier', '3.0.0', m('v3').file, target('v3', '3.0.0'));
    await server.setShadow('classifier', c3, 10);
    await expect(server.setShadow('classifier', c2)).rejects.toThrow(/is serving; it cannot shadow itself/);
    await server.setShadow('classifier', null);
    expect(fake.sessions.map((s) => s.unloaded)).toEqual([true, false, true]);
    await server.close();
  });
});
