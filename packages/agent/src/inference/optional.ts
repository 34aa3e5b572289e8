import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { BACKEND_PACKAGES } from '../hardware.ts';
import type { Log } from '../runtime.ts';
import type { Backend, BackendDescription, LoadOptions, Runtime, Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import {
  checkFeeds,
  isDtype,
  type Tensor,
  type TensorDtype,
  type TensorSpec,
  type TypedArray,
  tensor,
} from './tensor.ts';

/**
 * Backends whose packages are not dependencies of the agent: an image for an Intel box or a
 * Coral board adds them. Each is imported with a dynamic import() only once require.resolve
 * finds it, so a missing package costs nothing and describe() says what to install. The module
 * shapes below are the parts of the packages' documented APIs used here; they are exercised
 * against fakes of those APIs, not against the real packages (which do not install here).
 */
export interface OptionalBackendOptions {
  /** Accelerator kinds detected on this machine (facts.accelerators[].kind). */
  accelerators: readonly string[];
  log: Log;
  canResolve?: (name: string) => boolean;
  importModule?: (name: string) => Promise<unknown>;
}

const require = createRequire(import.meta.url);
const defaultCanResolve = (name: string) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

abstract class OptionalBackend<M> implements Backend {
  abstract readonly name: string;
  abstract readonly runtimes: readonly Runtime[];
  /** Packages that must all be installed; the first is the one describe() names. */
  protected abstract readonly packages: readonly string[];
  private module: Promise<M> | null = null;

  constructor(protected readonly opts: OptionalBackendOptions) {}

  protected abstract importAll(load: (name: string) => Promise<unknown>): Promise<M>;
  protected abstract accelerators(m: M): string[];
  protected abstract open(m: M, file: string, opts: LoadOptions): Promise<Session>;

  private missing(): string[] {
    return this.packages.filter((p) => !(this.opts.canResolve ?? defaultCanResolve)(p));
  }

  protected loaded(): Promise<M> {
    const missing = this.missing();
    if (missing.length > 0) return Promise.reject(new Error(`${missing.join(', ')} not installed`));
    this.module ??= this.importAll(this.opts.importModule ?? ((name) => import(name)));
    return this.module;
  }

  async describe(): Promise<BackendDescription> {
    try {
      return { name: this.name, available: true, accelerators: this.accelerators(await this.loaded()) };
    } catch (e) {
      return { name: this.name, available: false, reason: msg(e), accelerators: [] };
    }
  }

  async load(file: string, opts: LoadOptions): Promise<Session> {
    let m: M;
    try {
      m = await this.loaded();
    } catch (e) {
      throw new InferenceError('unavailable', `${this.name}: ${msg(e)}`);
    }
    try {
      return await this.open(m, file, opts);
    } catch (e) {
      if (e instanceof InferenceError) throw e;
      throw new InferenceError('backend', `${this.name} cannot load ${basename(file)}: ${msg(e)}`);
    }
  }
}

/** A session whose runtime call is `run`; checks feeds and refuses calls after unload. */
class AdapterSession implements Session {
  private unloaded = false;
  constructor(
    readonly backend: string,
    readonly executionProvider: string,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    private readonly run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>,
    private readonly release: () => void = () => {},
  ) {}
  async infer(feeds: Record<string, Tensor>) {
    if (this.unloaded) throw new InferenceError('unavailable', `the ${this.backend} session is unloaded`);
    checkFeeds(this.inputs, feeds);
    try {
      return await this.run(feeds);
    } catch (e) {
      if (e instanceof InferenceError) throw e;
      throw new InferenceError('backend', `${this.backend} inference failed: ${msg(e)}`);
    }
  }
  async unload() {
    if (!this.unloaded) this.release();
    this.unloaded = true;
  }
}

const declaredDtype = (opts: LoadOptions, side: 'inputs' | 'outputs', name: string, i: number): TensorDtype => {
  const list = opts.declared?.[side] ?? [];
  const d = (list.find((t) => t.name === name) ?? list[i])?.dtype ?? 'float32';
  return isDtype(d) ? d : 'float32';
};

// ---- OpenVINO (openvino-node) ----

interface OvOutput {
  getAnyName(): string;
  getPartialShape(): { toString(): string };
}
interface OvTensor {
  getData(): ArrayLike<number> | ArrayLike<bigint>;
  getShape(): number[];
}
interface OvAddon {
  Core: new () => {
    getAvailableDevices(): string[];
    readModel(path: string): Promise<unknown>;
    compileModel(
      model: unknown,
      device: string,
    ): Promise<{
      inputs: OvOutput[];
      outputs: OvOutput[];
      createInferRequest(): { inferAsync(inputs: Record<string, OvTensor>): Promise<Record<string, OvTensor>> };
    }>;
  };
  Tensor: new (type: string, shape: number[], data: TypedArray) => OvTensor;
}

const OV_ELEMENT: Partial<Record<TensorDtype, string>> = {
  float32: 'f32',
  float64: 'f64',
  int8: 'i8',
  uint8: 'u8',
  int16: 'i16',
  uint16: 'u16',
  int32: 'i32',
  uint32: 'u32',
  int64: 'i64',
  uint64: 'u64',
};

/** "[?,4]" or "[1..8,4]" (OpenVINO's partial shape text) → [-1, 4]. */
export const parsePartialShape = (text: string): number[] =>
  text
    .replace(/[[\]{}\s]/g, '')
    .split(',')
    .filter(Boolean)
    .map((d) => (/^\d+$/.test(d) ? Number(d) : -1));

/** OpenVINO on Intel CPUs, GPUs and NPUs. Reads OpenVINO IR and ONNX files. */
export class OpenvinoBackend extends OptionalBackend<{ addon: OvAddon; devices: string[] }> {
  readonly name = 'openvino-node';
  readonly runtimes = ['openvino', 'onnx'] as const;
  protected readonly packages = BACKEND_PACKAGES['openvino-node'] ?? [];

  protected async importAll(load: (name: string) => Promise<unknown>) {
    const mod = (await load('openvino-node')) as { addon?: OvAddon; default?: { addon?: OvAddon } };
    const addon = mod.addon ?? mod.default?.addon;
    if (!addon) throw new Error('openvino-node exports no addon');
    return { addon, devices: new addon.Core().getAvailableDevices() };
  }

  protected accelerators({ devices }: { devices: string[] }) {
    return [
      'openvino',
      ...(devices.includes('CPU') ? ['cpu'] : []),
      ...(devices.some((d) => d.startsWith('NPU')) ? ['npu'] : []),
    ];
  }

  protected async open({ addon, devices }: { addon: OvAddon; devices: string[] }, file: string, opts: LoadOptions) {
    const device = opts.accelerator === 'npu' ? 'NPU' : opts.accelerator === 'cpu' ? 'CPU' : 'AUTO';
    if (device !== 'AUTO' && !devices.some((d) => d.startsWith(device))) {
      throw new InferenceError('unavailable', `OpenVINO has no ${device} device here (devices: ${devices.join(', ')})`);
    }
    const core = new addon.Core();
    const compiled = await core.compileModel(await core.readModel(file), device);
    const spec = (side: 'inputs' | 'outputs') => (o: OvOutput, i: number) => ({
      name: o.getAnyName(),
      dtype: declaredDtype(opts, side, o.getAnyName(), i),
      shape: parsePartialShape(o.getPartialShape().toString()),
    });
    const inputs = compiled.inputs.map(spec('inputs'));
    const outputs = compiled.outputs.map(spec('outputs'));
    return new AdapterSession(this.name, device, inputs, outputs, async (feeds) => {
      const ovFeeds: Record<string, OvTensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        const element = OV_ELEMENT[t.dtype];
        if (!element) throw new InferenceError('bad_input', `OpenVINO cannot take ${t.dtype} input "${name}"`);
        ovFeeds[name] = new addon.Tensor(element, t.shape, t.data);
      }
      // An infer request runs one inference at a time: one per call keeps concurrent calls apart.
      const results = await compiled.createInferRequest().inferAsync(ovFeeds);
      const out: Record<string, Tensor> = {};
      for (const o of outputs) {
        const r = results[o.name];
        if (!r) throw new InferenceError('backend', `OpenVINO returned no "${o.name}"`);
        const dtype = o.dtype as TensorDtype;
        out[o.name] = tensor(dtype, r.getShape(), r.getData());
      }
      return out;
    });
  }
}

// ---- TensorFlow Lite (tfjs-tflite-node), with the Coral Edge TPU delegate ----

interface TfTensor {
  shape: number[];
  dtype: string;
  data(): Promise<ArrayLike<number>>;
  dispose(): void;
}
interface TfliteModules {
  tflite: {
    loadTFLiteModel(
      path: string,
      options?: { delegates?: unknown[] },
    ): Promise<{
      inputs: { name: string; shape?: number[]; dtype: string }[];
      outputs: { name: string; shape?: number[]; dtype: string }[];
      predict(inputs: Record<string, TfTensor>): TfTensor | TfTensor[] | Record<string, TfTensor>;
    }>;
  };
  tf: { tensor(values: TypedArray, shape: number[], dtype: string): TfTensor };
  coral: { CoralDelegate: new () => unknown } | null;
}

/** tfjs only has float32, int32 and bool tensors: other element types travel as the nearest one. */
const TFJS_DTYPE = (d: TensorDtype) => (d === 'bool' ? 'bool' : d.startsWith('float') ? 'float32' : 'int32');

export class TfliteBackend extends OptionalBackend<TfliteModules> {
  readonly name = 'tfjs-tflite-node';
  readonly runtimes = ['tflite'] as const;
  protected readonly packages = BACKEND_PACKAGES['tfjs-tflite-node'] ?? [];

  private delegateUsable() {
    return (
      this.opts.accelerators.includes('edgetpu') && (this.opts.canResolve ?? defaultCanResolve)('coral-tflite-delegate')
    );
  }

  protected async importAll(load: (name: string) => Promise<unknown>): Promise<TfliteModules> {
    await load('@tensorflow/tfjs-backend-cpu'); // registers the CPU backend tfjs tensors live on
    const tf = (await load('@tensorflow/tfjs-core')) as TfliteModules['tf'];
    const tflite = (await load('tfjs-tflite-node')) as TfliteModules['tflite'];
    const coral = this.delegateUsable() ? ((await load('coral-tflite-delegate')) as TfliteModules['coral']) : null;
    return { tf, tflite, coral };
  }

  protected accelerators(m: TfliteModules) {
    return ['cpu', ...(m.coral ? ['edgetpu'] : [])];
  }

  protected async open({ tf, tflite, coral }: TfliteModules, file: string, opts: LoadOptions) {
    if (opts.accelerator === 'edgetpu' && !coral) {
      throw new InferenceError(
        'unavailable',
        'the model is compiled for the Edge TPU, but no Edge TPU or coral-tflite-delegate is present',
      );
    }
    const delegates = opts.accelerator === 'edgetpu' && coral ? [new coral.CoralDelegate()] : [];
    const model = await tflite.loadTFLiteModel(file, { delegates });
    const spec = (t: { name: string; shape?: number[]; dtype: string }): TensorSpec => ({
      name: t.name,
      dtype: t.dtype === 'bool' ? 'bool' : t.dtype === 'int32' ? 'int32' : 'float32',
      shape: t.shape ?? [],
    });
    const inputs = model.inputs.map(spec);
    const outputs = model.outputs.map(spec);
    return new AdapterSession(this.name, delegates.length ? 'edgetpu' : 'cpu', inputs, outputs, async (feeds) => {
      const tfFeeds = Object.fromEntries(
        Object.entries(feeds).map(([n, t]) => [n, tf.tensor(t.data, t.shape, TFJS_DTYPE(t.dtype))]),
      );
      try {
        const result = model.predict(tfFeeds);
        const list = Array.isArray(result)
          ? result
          : typeof (result as TfTensor).data === 'function'
            ? [result as TfTensor]
            : outputs.map((o) => (result as Record<string, TfTensor>)[o.name]);
        const out: Record<string, Tensor> = {};
        for (const [i, o] of outputs.entries()) {
          const r = list[i];
          if (!r) throw new InferenceError('backend', `TFLite returned no "${o.name}"`);
          const dtype = o.dtype as TensorDtype;
          out[o.name] = tensor(dtype, r.shape, await r.data());
          r.dispose();
        }
        return out;
      } finally {
        for (const t of Object.values(tfFeeds)) t.dispose();
      }
    });
  }
}
