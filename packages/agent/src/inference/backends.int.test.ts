import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendContract } from '../test/backend-contract.ts';
import { type ClassifierModel, seededInputs, writeClassifierModel } from '../test/models.ts';
import { FakeBackend } from './fake-backend.ts';
import { OnnxruntimeNodeBackend } from './onnxruntime-node.ts';
import { OnnxruntimeWebBackend } from './onnxruntime-web.ts';
import { createBackends, selectBackend } from './select-backend.ts';
import { tensor } from './tensor.ts';

const quiet = () => {};

backendContract('onnxruntime-node', () => new OnnxruntimeNodeBackend({ accelerators: [], log: quiet }));
backendContract('onnxruntime-web', () => new OnnxruntimeWebBackend({ log: quiet }));
backendContract('fake', () => new FakeBackend());

describe('onnxruntime backends on this machine', () => {
  let dir: string;
  let model: ClassifierModel;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-ort-'));
    model = await writeClassifierModel(join(dir, 'm.onnx'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('falls back to the cpu execution provider when the accelerator one fails, and says why', async () => {
    // The binding lists cuda, but this machine has no CUDA libraries: creating the session fails.
    const lines: string[] = [];
    const backend = new OnnxruntimeNodeBackend({ accelerators: ['cuda'], log: (l) => lines.push(l) });
    const d = await backend.describe();
    expect(d.executionProviders).toEqual(['cuda', 'cpu']);
    expect(d.accelerators).toEqual(['cuda', 'cpu']);
    const session = await backend.load(model.file, { accelerator: 'cuda' });
    expect(session.executionProvider).toBe('cpu');
    expect(lines.join('\n')).toMatch(/the cuda execution provider failed for m\.onnx \(.+\); falling back to cpu/);
    const x = seededInputs(3, 2, 4);
    const out = await session.infer({ x: tensor('float32', [2, 4], x) });
    expect(Array.from(out.scores?.data as Float32Array)).toEqual(
      Array.from(model.predict(x, 2)).map((v) => expect.closeTo(v, 5)),
    );
    await session.unload();
  });

  it('skips execution providers for hardware that is not there, logging it', async () => {
    const lines: string[] = [];
    const backend = new OnnxruntimeNodeBackend({ accelerators: [], log: (l) => lines.push(l) });
    const session = await backend.load(model.file, { accelerator: 'tensorrt' });
    expect(session.executionProvider).toBe('cpu');
    expect(lines.join('\n')).toMatch(/built for tensorrt, but tensorrt\/cuda is not usable here/);
    await session.unload();
  });

  it('uses onnxruntime-web when the native binding cannot load', async () => {
    const backends = [
      new OnnxruntimeNodeBackend({
        accelerators: [],
        log: quiet,
        importOrt: () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file')),
      }),
      new OnnxruntimeWebBackend({ log: quiet }),
    ];
    expect(await backends[0]?.describe()).toEqual({
      name: 'onnxruntime-node',
      available: false,
      reason: 'cannot load its native binding: libonnxruntime.so.1: cannot open shared object file',
      accelerators: [],
    });
    const choice = await selectBackend(backends, { runtime: 'onnx', accelerator: 'cpu' });
    expect(choice.backend.name).toBe('onnxruntime-web');
    const session = await choice.backend.load(model.file, { accelerator: choice.accelerator });
    expect(session.executionProvider).toBe('wasm');
    await session.unload();
  });

  it('the default backends here: both onnxruntimes load, the optional ones say what is missing', async () => {
    const descriptions = await Promise.all(createBackends({ accelerators: [], log: quiet }).map((b) => b.describe()));
    expect(descriptions.map((d) => [d.name, d.available])).toEqual([
      ['onnxruntime-node', true],
      ['onnxruntime-web', true],
      ['openvino-node', false],
      ['tfjs-tflite-node', false],
    ]);
    expect(descriptions[2]?.reason).toBe('openvino-node not installed');
    expect(descriptions[3]?.reason).toMatch(
      /^tfjs-tflite-node, @tensorflow\/tfjs-core, @tensorflow\/tfjs-backend-cpu not installed$/,
    );
  });
});
