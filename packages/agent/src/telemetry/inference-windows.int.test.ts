import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZInferenceWindow } from '@edgefleet/protocol/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBackend } from '../inference/fake-backend.ts';
import { ModelServer } from '../inference/model-server.ts';
import { tensor } from '../inference/tensor.ts';
import { type ClassifierModel, classifierTarget, seededInputs, writeClassifierModel } from '../test/models.ts';

let dir: string;
let model: ClassifierModel;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'telemetry-windows-'));
  model = await writeClassifierModel(join(dir, 'm.onnx'), { seed: 1 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function serve(server: ModelServer, version: string) {
  const prepared = await server.prepare(
    'classifier',
    version,
    model.file,
    classifierTarget(model, { model: 'classifier', version }),
  );
  await server.activate('classifier', prepared);
}

describe('ModelServer.takeInferenceWindows', () => {
  it('gives each served version its requests, errors and latencies since the last call', async () => {
    const server = new ModelServer({ backends: [new FakeBackend()], log: () => {} });
    await serve(server, '1.0.0');
    const x = (seed: number) => ({ x: tensor('float32', [1, 4], seededInputs(seed, 1, 4)) });
    for (let i = 0; i < 5; i++) await server.infer('classifier', x(i));
    await expect(server.infer('classifier', { x: tensor('float32', [1, 2], [1, 2]) })).rejects.toThrow();
    await serve(server, '1.1.0');
    await server.infer('classifier', x(9));

    const windows = server.takeInferenceWindows().map((w) => ZInferenceWindow.parse(w));
    expect(windows.map((w) => [w.version, w.requests, w.errors])).toEqual([
      ['1.0.0', 6, 1],
      ['1.1.0', 1, 0],
    ]);
    expect(windows[0]?.latencyCounts.reduce((a, b) => a + b)).toBe(5);
    expect(server.takeInferenceWindows()).toEqual([]);
    // The state report's rolling window is not reset by it.
    expect(server.report('classifier').stats.map((s) => s.requests)).toEqual([1, 6]);
    await server.close();
  });
});
