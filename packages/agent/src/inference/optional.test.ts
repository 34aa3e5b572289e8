import { describe, expect, it } from 'vitest';
import { OpenvinoBackend, parsePartialShape, TfliteBackend } from './optional.ts';
import { tensor } from './tensor.ts';

const log = () => {};

describe('optional backends when their packages are missing (as here)', () => {
  it('describe themselves as unavailable, naming the packages, and refuse to load', async () => {
    const ov = new OpenvinoBackend({ accelerators: ['openvino'], log });
    expect(await ov.describe()).toEqual({
      name: 'openvino-node',
      available: false,
      reason: 'openvino-node not installed',
      accelerators: [],
    });
    await expect(ov.load('/models/m.xml', { accelerator: 'openvino' })).rejects.toMatchObject({
      code: 'unavailable',
      message: 'openvino-node: openvino-node not installed',
    });
    const imported: string[] = [];
    const tfl = new TfliteBackend({
      accelerators: ['edgetpu'],
      log,
      canResolve: (name) => name !== '@tensorflow/tfjs-backend-cpu',
      importModule: async (name) => imported.push(name),
    });
    expect((await tfl.describe()).reason).toBe('@tensorflow/tfjs-backend-cpu not installed');
    expect(imported).toEqual([]); // nothing imported while anything is missing
  });
});

/** Stand-ins shaped like the documented openvino-node API, computing y = 2x. */
function fakeOpenvino(devices: string[]) {
  const compiled: string[] = [];
  class Tensor {
    constructor(
      readonly type: string,
      readonly shape: number[],
      readonly data: Float32Array,
    ) {}
    getData() {
      return this.data;
    }
    getShape() {
      return this.shape;
    }
  }
  const port = (name: string, shape: string) => ({
    getAnyName: () => name,
    getPartialShape: () => ({ toString: () => shape }),
  });
  class Core {
    getAvailableDevices() {
      return devices;
    }
    async readModel(path: string) {
      return { path };
    }
    async compileModel(_model: unknown, device: string) {
      compiled.push(device);
      return {
        inputs: [port('x', '[?,4]')],
        outputs: [port('y', '[?,4]')],
        createInferRequest: () => ({
          inferAsync: async (inputs: Record<string, Tensor>) => {
            const x = inputs.x as Tensor;
            return {
              y: new Tensor(
                'f32',
                x.shape,
                x.data.map((v) => v * 2),
              ),
            };
          },
        }),
      };
    }
  }
  return { module: { addon: { Core, Tensor } }, compiled };
}

describe('OpenvinoBackend over a fake of its API', () => {
  it('lists devices, compiles for the accelerator and converts tensors both ways', async () => {
    const fake = fakeOpenvino(['CPU', 'GPU.0', 'NPU']);
    const backend = new OpenvinoBackend({
      accelerators: ['openvino'],
      log,
      canResolve: () => true,
      importModule: async () => fake.module,
    });
    expect(await backend.describe()).toEqual({
      name: 'openvino-node',
      available: true,
      accelerators: ['openvino', 'cpu', 'npu'],
    });
    const session = await backend.load('/models/m.xml', { accelerator: 'openvino' });
    expect([session.executionProvider, fake.compiled]).toEqual(['AUTO', ['AUTO']]);
    expect(session.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [-1, 4] }]);
    const out = await session.infer({ x: tensor('float32', [1, 4], [1, 2, 3, 4]) });
    expect(out.y).toEqual(tensor('float32', [1, 4], [2, 4, 6, 8]));
    await expect(session.infer({ x: tensor('float32', [1, 3], [1, 2, 3]) })).rejects.toMatchObject({
      code: 'bad_input',
    });
    await session.unload();
    await expect(session.infer({ x: tensor('float32', [1, 4], [1, 2, 3, 4]) })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('refuses a device that is not there', async () => {
    const fake = fakeOpenvino(['CPU']);
    const backend = new OpenvinoBackend({
      accelerators: [],
      log,
      canResolve: () => true,
      importModule: async () => fake.module,
    });
    await expect(backend.load('/m.xml', { accelerator: 'npu' })).rejects.toThrow(
      'OpenVINO has no NPU device here (devices: CPU)',
    );
  });

  it('parses partial shapes', () => {
    expect(parsePartialShape('[?,3,224..448,224]')).toEqual([-1, 3, -1, 224]);
    expect(parsePartialShape('[]')).toEqual([]);
  });
});

describe('TfliteBackend over fakes of tfjs-tflite-node and the Coral delegate', () => {
  function fakeTflite() {
    const live = new Set<object>();
    const loads: { path: string; delegates: unknown[] }[] = [];
    const tf = {
      tensor(values: ArrayLike<number>, shape: number[], dtype: string) {
        const t = { shape, dtype, data: async () => Float32Array.from(values), dispose: () => live.delete(t) };
        live.add(t);
        return t;
      },
    };
    class CoralDelegate {}
    const tflite = {
      async loadTFLiteModel(path: string, options: { delegates?: unknown[] } = {}) {
        loads.push({ path, delegates: options.delegates ?? [] });
        return {
          inputs: [{ name: 'serving_default_x:0', shape: [1, 2], dtype: 'float32' }],
          outputs: [{ name: 'StatefulPartitionedCall:0', shape: [1, 2], dtype: 'float32' }],
          predict: (inputs: Record<string, { data(): Promise<Float32Array> }>) => {
            const x = inputs['serving_default_x:0'];
            const t = {
              shape: [1, 2],
              dtype: 'float32',
              data: async () => (await (x as { data(): Promise<Float32Array> }).data()).map((v) => v + 1),
              dispose: () => live.delete(t),
            };
            live.add(t);
            return t;
          },
        };
      },
    };
    const modules: Record<string, unknown> = {
      '@tensorflow/tfjs-backend-cpu': {},
      '@tensorflow/tfjs-core': tf,
      'tfjs-tflite-node': tflite,
      'coral-tflite-delegate': { CoralDelegate },
    };
    return { importModule: async (name: string) => modules[name], live, loads, CoralDelegate };
  }

  it('runs on the Edge TPU through the delegate when one is present, disposing every tensor', async () => {
    const fake = fakeTflite();
    const backend = new TfliteBackend({
      accelerators: ['edgetpu'],
      log,
      canResolve: () => true,
      importModule: fake.importModule,
    });
    expect(await backend.describe()).toEqual({
      name: 'tfjs-tflite-node',
      available: true,
      accelerators: ['cpu', 'edgetpu'],
    });
    const session = await backend.load('/models/m_edgetpu.tflite', { accelerator: 'edgetpu' });
    expect(session.executionProvider).toBe('edgetpu');
    expect(fake.loads[0]?.delegates[0]).toBeInstanceOf(fake.CoralDelegate);
    const out = await session.infer({ 'serving_default_x:0': tensor('float32', [1, 2], [1, 2]) });
    expect(out['StatefulPartitionedCall:0']).toEqual(tensor('float32', [1, 2], [2, 3]));
    expect(fake.live.size).toBe(0);
  });

  it('without an Edge TPU: cpu only, and an Edge TPU model is refused', async () => {
    const fake = fakeTflite();
    const backend = new TfliteBackend({
      accelerators: [],
      log,
      canResolve: () => true,
      importModule: fake.importModule,
    });
    expect((await backend.describe()).accelerators).toEqual(['cpu']);
    await expect(backend.load('/m.tflite', { accelerator: 'edgetpu' })).rejects.toThrow(/no Edge TPU/);
    const session = await backend.load('/m.tflite', { accelerator: 'cpu' });
    expect([session.executionProvider, fake.loads.at(-1)?.delegates]).toEqual(['cpu', []]);
  });
});
