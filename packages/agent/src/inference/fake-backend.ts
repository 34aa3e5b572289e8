import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';
import type { Backend, BackendDescription, LoadOptions, Runtime, Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import { checkFeeds, elementCount, type Tensor, type TensorSpec, valuesOf } from './tensor.ts';

const { onnx } = onnxProto;

/**
 * A Backend for tests that runs the small ONNX graphs tests build (MatMul, Add, Mul, Relu,
 * Softmax, Identity on float32) in plain JS. It passes the same contract suite as the real
 * backends, so it stands in for runtimes that cannot run here, and it can be slowed down or
 * made to fail. It never waits for running calls on unload: it records the violation instead,
 * so a test can prove the model server never unloads a busy session.
 */
export interface FakeBackendOptions {
  name?: string;
  runtimes?: Runtime[];
  accelerators?: string[];
  /** Describe as unavailable with this reason. */
  unavailable?: string;
  /** Milliseconds each inference takes. */
  delayMs?: number | ((session: FakeSession) => number);
  /** A reason to refuse loading this file, or undefined. */
  failLoad?: (file: string) => string | undefined;
  /** A reason to fail this call (`session.calls` counts it already), or undefined. */
  failInfer?: (feeds: Record<string, Tensor>, session: FakeSession) => string | undefined;
}

interface Value {
  shape: number[];
  data: Float64Array;
}
type Graph = {
  specs: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  run(feeds: Map<string, Value>): Map<string, Value>;
};

export class FakeBackend implements Backend {
  readonly name: string;
  readonly runtimes: readonly Runtime[];
  readonly sessions: FakeSession[] = [];

  constructor(private readonly opts: FakeBackendOptions = {}) {
    this.name = opts.name ?? 'fake';
    this.runtimes = opts.runtimes ?? ['onnx'];
  }

  async describe(): Promise<BackendDescription> {
    if (this.opts.unavailable)
      return { name: this.name, available: false, reason: this.opts.unavailable, accelerators: [] };
    return { name: this.name, available: true, accelerators: this.opts.accelerators ?? ['cpu'] };
  }

  async load(file: string, { accelerator }: LoadOptions): Promise<Session> {
    if (this.opts.unavailable) throw new InferenceError('unavailable', `${this.name}: ${this.opts.unavailable}`);
    const refused = this.opts.failLoad?.(file);
    if (refused) throw new InferenceError('backend', `${this.name} cannot load ${basename(file)}: ${refused}`);
    let graph: Graph;
    try {
      graph = parseGraph(await readFile(file));
    } catch (e) {
      throw new InferenceError('backend', `${this.name} cannot load ${basename(file)}: ${(e as Error).message}`);
    }
    const session = new FakeSession(this.name, accelerator, graph, this.opts);
    this.sessions.push(session);
    return session;
  }
}

export class FakeSession implements Session {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  calls = 0;
  inflight = 0;
  maxInflight = 0;
  unloaded = false;
  /** unload() calls made while an inference was running on this session. */
  unloadedWhileBusy = 0;

  constructor(
    readonly backend: string,
    readonly executionProvider: string,
    private readonly graph: Graph,
    private readonly opts: FakeBackendOptions,
  ) {
    this.inputs = graph.specs.inputs;
    this.outputs = graph.specs.outputs;
  }

  async infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.unloaded) throw new InferenceError('unavailable', `the ${this.backend} session is unloaded`);
    checkFeeds(this.inputs, feeds);
    this.calls++;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      const delay = typeof this.opts.delayMs === 'function' ? this.opts.delayMs(this) : (this.opts.delayMs ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const failed = this.opts.failInfer?.(feeds, this);
      if (failed) throw new InferenceError('backend', `${this.backend} inference failed: ${failed}`);
      const values = new Map(Object.entries(feeds).map(([n, t]) => [n, { shape: t.shape, data: valuesOf(t) }]));
      const results = this.graph.run(values);
      const out: Record<string, Tensor> = {};
      for (const spec of this.outputs) {
        const v = results.get(spec.name);
        if (!v) throw new InferenceError('backend', `${this.backend}: the graph did not produce "${spec.name}"`);
        out[spec.name] = { dtype: 'float32', shape: v.shape, data: Float32Array.from(v.data) };
      }
      return out;
    } finally {
      this.inflight--;
    }
  }

  async unload(): Promise<void> {
    if (this.inflight > 0 && !this.unloaded) this.unloadedWhileBusy++;
    this.unloaded = true;
  }
}

function parseGraph(bytes: Uint8Array): Graph {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('not an ONNX model: no graph');
  const constants = new Map<string, Value>();
  for (const t of g.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new Error(`initializer ${t.name} is not float32`);
    const shape = (t.dims ?? []).map(Number);
    const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
    // Copied: protobufjs hands out views into a shared buffer, at any alignment.
    const floats = raw ? new Float32Array(new Uint8Array(raw).buffer) : Float32Array.from(t.floatData ?? []);
    if (floats.length !== elementCount(shape)) throw new Error(`initializer ${t.name} has the wrong size`);
    constants.set(t.name ?? '', { shape, data: Float64Array.from(floats) });
  }
  const spec = (v: onnxProto.onnx.IValueInfoProto): TensorSpec => {
    const type = v.type?.tensorType;
    if (type?.elemType !== onnx.TensorProto.DataType.FLOAT) throw new Error(`${v.name} is not a float32 tensor`);
    return {
      name: v.name ?? '',
      dtype: 'float32',
      shape: (type.shape?.dim ?? []).map((d) =>
        d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : -1,
      ),
    };
  };
  const nodes = g.node ?? [];
  const unsupported = nodes.find((n) => !Object.hasOwn(OPS, n.opType ?? ''));
  if (unsupported) throw new Error(`the fake backend cannot run ${unsupported.opType}`);
  return {
    specs: {
      inputs: (g.input ?? []).filter((v) => !constants.has(v.name ?? '')).map(spec),
      outputs: (g.output ?? []).map(spec),
    },
    run(feeds) {
      const values = new Map([...constants, ...feeds]);
      for (const n of nodes) {
        const args = (n.input ?? []).map((name) => {
          const v = values.get(name);
          if (!v) throw new InferenceError('backend', `fake backend: no value for "${name}"`);
          return v;
        });
        values.set(n.output?.[0] ?? '', OPS[n.opType ?? '']!(args));
      }
      return values;
    },
  };
}

/** Elementwise with the right operand broadcast over the left one's trailing dimensions. */
function broadcast(f: (a: number, b: number) => number) {
  return ([a, b]: Value[]): Value => {
    if (!a || !b) throw new InferenceError('backend', 'fake backend: a binary op needs two inputs');
    if (b.data.length === 0 || a.data.length % b.data.length !== 0) {
      throw new InferenceError('backend', 'fake backend: shapes do not broadcast');
    }
    return { shape: a.shape, data: a.data.map((v, i) => f(v, b.data[i % b.data.length] as number)) };
  };
}

const OPS: Record<string, (args: Value[]) => Value> = {
  Identity: ([a]) => a!,
  Relu: ([a]) => ({ shape: a!.shape, data: a!.data.map((v) => Math.max(0, v)) }),
  Add: broadcast((a, b) => a + b),
  Mul: broadcast((a, b) => a * b),
  MatMul: ([a, b]) => {
    const [m = 0, k = 0] = a!.shape;
    const [k2, n = 0] = b!.shape;
    if (a!.shape.length !== 2 || b!.shape.length !== 2 || k !== k2) {
      throw new InferenceError('backend', 'fake backend: MatMul needs [m, k] × [k, n]');
    }
    const out = new Float64Array(m * n);
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += (a!.data[r * k + i] as number) * (b!.data[i * n + c] as number);
        out[r * n + c] = s;
      }
    return { shape: [m, n], data: out };
  },
  Softmax: ([a]) => {
    const n = a!.shape.at(-1) ?? 1;
    const out = new Float64Array(a!.data.length);
    for (let r = 0; r < out.length / n; r++) {
      const row = a!.data.subarray(r * n, (r + 1) * n);
      const max = Math.max(...row);
      const exp = row.map((v) => Math.exp(v - max));
      const sum = exp.reduce((s, v) => s + v, 0);
      out.set(
        exp.map((v) => v / sum),
        r * n,
      );
    }
    return { shape: a!.shape, data: out };
  },
};
