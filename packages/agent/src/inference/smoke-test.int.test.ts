import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClassifierModel, classifierSmokeTest, writeClassifierModel } from '../test/models.ts';
import type { Session } from './backend.ts';
import { FakeBackend } from './fake-backend.ts';
import { OnnxruntimeNodeBackend } from './onnxruntime-node.ts';
import { runSmokeTest } from './smoke-test.ts';
import { encodeTensorData, tensor } from './tensor.ts';

describe('runSmokeTest', () => {
  let dir: string;
  let model: ClassifierModel;
  let session: Session;
  let nanSession: Session;
  const backend = new OnnxruntimeNodeBackend({ accelerators: [], log: () => {} });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-smoke-'));
    model = await writeClassifierModel(join(dir, 'good.onnx'), { seed: 3 });
    const nan = await writeClassifierModel(join(dir, 'nan.onnx'), { seed: 3, nan: true });
    session = await backend.load(model.file, { accelerator: 'cpu' });
    nanSession = await backend.load(nan.file, { accelerator: 'cpu' });
  });
  afterAll(async () => {
    await session.unload();
    await nanSession.unload();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a model that gives its expected output, reporting the latency', async () => {
    const result = await runSmokeTest(session, classifierSmokeTest(model));
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number) });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.latencyMs).toBeLessThan(5000);
  });

  it('fails a wrong output, naming the output, the index and the difference', async () => {
    const result = await runSmokeTest(session, classifierSmokeTest(model, { wrongOutput: true }));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(
      /^output "scores" is [\d.e-]+ at index \d, expected [\d.e-]+ \(off by 0\.5\d*, tolerance 0\.0001\)$/,
    );
  });

  it('honours the tolerance', async () => {
    const loose = classifierSmokeTest(model, { wrongOutput: true, tolerance: '0.6' });
    expect((await runSmokeTest(session, loose)).ok).toBe(true);
  });

  it('refuses NaN outputs, even without expected values to compare', async () => {
    const smoke = classifierSmokeTest(model);
    const result = await runSmokeTest(nanSession, smoke);
    expect(result).toMatchObject({ ok: false, reason: 'output "scores" holds NaN at index 0' });
    const zeros = await runSmokeTest(nanSession, undefined);
    expect(zeros).toMatchObject({ ok: false, reason: 'output "scores" holds NaN at index 0' });
  });

  it('refuses an inference slower than the budget', async () => {
    const slow = await new FakeBackend({ delayMs: 60 }).load(model.file, { accelerator: 'cpu' });
    const result = await runSmokeTest(slow, classifierSmokeTest(model), { budgetMs: 20 });
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^inference took \d+(\.\d+)? ms, over the 20 ms budget$/);
    expect(result.latencyMs).toBeGreaterThanOrEqual(55);
    expect((await runSmokeTest(slow, classifierSmokeTest(model), { budgetMs: 1000 })).ok).toBe(true);
  });

  it('runs zeros through a model without a smoke test', async () => {
    expect(await runSmokeTest(session, undefined)).toEqual({
      ok: true,
      latencyMs: expect.any(Number),
      reason: 'the artifact has no smoke test: ran zeros through it',
    });
  });

  it('explains malformed smoke tests, a failing inference and a missing output', async () => {
    const good = classifierSmokeTest(model);
    const short = { ...good, input: { x: { ...good.input.x!, data: Buffer.alloc(12).toString('base64') } } };
    expect((await runSmokeTest(session, short)).reason).toBe(
      'the smoke test is malformed: input "x": 12 bytes cannot hold float32 [2, 4] (32 expected)',
    );
    expect((await runSmokeTest(session, { ...good, tolerance: '-1' })).reason).toBe(
      'tolerance "-1" is not a non-negative number',
    );
    const wrongName = { ...good, input: { y: good.input.x! } };
    expect((await runSmokeTest(session, wrongName)).reason).toMatch(/^inference failed: unknown input "y"/);
    const extra = {
      ...good,
      expectedOutput: { ...good.expectedOutput, probs: encodeTensorData(tensor('float32', [1], [0])) },
    };
    expect((await runSmokeTest(session, extra)).reason).toBe('the model has no output "probs" (it has scores)');
    const wrongShape = {
      ...good,
      expectedOutput: { scores: encodeTensorData(tensor('float32', [6], [0, 0, 0, 0, 0, 0])) },
    };
    expect((await runSmokeTest(session, wrongShape)).reason).toBe('output "scores" has shape [2, 3], expected [6]');
  });
});
