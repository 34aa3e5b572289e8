import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
// onnx-proto is CommonJS: under Node's ESM its namespace arrives on the default export.
import onnxProto from 'onnx-proto';
import { encodeTensorData, tensor } from '../inference/tensor.ts';

const { onnx } = onnxProto;

type TSmokeTest = NonNullable<TModelTargetCustom['smokeTest']>;

/** A small deterministic PRNG (mulberry32), so weights and inputs are the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `batch × features` float32 values in [-1, 1) drawn from `seed`. */
export function seededInputs(seed: number, batch: number, features: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: batch * features }, () => next() * 2 - 1);
}

export interface ClassifierOptions {
  inFeatures?: number;
  classes?: number;
  /** Different seeds give different weights: a "retrained" model. */
  seed?: number;
  /** `softmax`: class probabilities (a classifier); `linear`: raw x·W + b (a regressor when classes = 1). */
  head?: 'softmax' | 'linear';
  /** Every weight NaN, so every output is NaN: a model a smoke test must refuse. */
  nan?: boolean;
}

export interface ClassifierModel {
  file: string;
  inFeatures: number;
  classes: number;
  head: 'softmax' | 'linear';
  weights: Float32Array;
  bias: Float32Array;
  /** The model's own arithmetic in JS, for expected outputs: input "x" [batch, inFeatures] → "scores" [batch, classes]. */
  predict(x: Float32Array, batch: number): Float32Array;
}

/**
 * Writes `scores = Softmax(x · W + b)` (or without Softmax) as a real ONNX file, built locally
 * with onnx-proto: input "x" float32 [batch, inFeatures], output "scores" float32 [batch, classes].
 */
export async function writeClassifierModel(file: string, opts: ClassifierOptions = {}): Promise<ClassifierModel> {
  const { inFeatures = 4, classes = 3, seed = 1, head = 'softmax', nan = false } = opts;
  const next = random(seed);
  const weights = Float32Array.from({ length: inFeatures * classes }, () => (nan ? Number.NaN : next() * 2 - 1));
  const bias = Float32Array.from({ length: classes }, () => (nan ? Number.NaN : next() - 0.5));
  const dims = (d: (number | string)[]) => ({
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: d.map((v) => (typeof v === 'string' ? { dimParam: v } : { dimValue: v })) },
    },
  });
  const init = (name: string, shape: number[], values: Float32Array) => ({
    name,
    dims: shape,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer.slice(0)),
  });
  const nodes = [
    { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
    { opType: 'Add', input: ['xw', 'b'], output: [head === 'softmax' ? 'logits' : 'scores'] },
    ...(head === 'softmax'
      ? [{ opType: 'Softmax', input: ['logits'], output: ['scores'], attribute: [{ name: 'axis', i: -1, type: 2 }] }]
      : []),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'classifier',
      node: nodes,
      initializer: [init('W', [inFeatures, classes], weights), init('b', [classes], bias)],
      input: [{ name: 'x', type: dims(['batch', inFeatures]) }],
      output: [{ name: 'scores', type: dims(['batch', classes]) }],
    },
  });
  await writeFile(file, onnx.ModelProto.encode(model).finish());
  const predict = (x: Float32Array, batch: number) => {
    const out = new Float32Array(batch * classes);
    for (let r = 0; r < batch; r++) {
      const row = Array.from({ length: classes }, (_, c) => {
        let z = bias[c] as number;
        for (let i = 0; i < inFeatures; i++)
          z += (x[r * inFeatures + i] as number) * (weights[i * classes + c] as number);
        return z;
      });
      const max = Math.max(...row);
      const exp = row.map((z) => Math.exp(z - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      row.forEach((z, c) => {
        out[r * classes + c] = head === 'softmax' ? (exp[c] as number) / sum : z;
      });
    }
    return out;
  };
  return { file, inFeatures, classes, head, weights, bias, predict };
}

export interface SmokeTestOptions {
  batch?: number;
  seed?: number;
  tolerance?: string;
  /** Expect something the model does not produce, so the smoke test fails. */
  wrongOutput?: boolean;
}

/** A ZSmokeTest for the model: seeded input, the JS-computed expected output. */
export function classifierSmokeTest(model: ClassifierModel, opts: SmokeTestOptions = {}): TSmokeTest {
  const { batch = 2, seed = 42, tolerance = '0.0001', wrongOutput = false } = opts;
  const x = seededInputs(seed, batch, model.inFeatures);
  const expected = model.predict(x, batch).map((v) => (wrongOutput ? v + 0.5 : v));
  return {
    input: { x: encodeTensorData(tensor('float32', [batch, model.inFeatures], x)) },
    expectedOutput: { scores: encodeTensorData(tensor('float32', [batch, model.classes], expected)) },
    tolerance,
  };
}

/** The signed `custom` of the model's artifact, as a publisher would declare it. */
export function classifierTarget(
  model: ClassifierModel,
  opts: {
    model?: string;
    version?: string;
    accelerator?: TModelTargetCustom['accelerator'];
    smokeTest?: TSmokeTest | null;
  },
): TModelTargetCustom {
  return {
    model: opts.model ?? 'classifier',
    version: opts.version ?? '1.0.0',
    runtime: 'onnx',
    accelerator: opts.accelerator ?? 'cpu',
    precision: 'fp32',
    tensors: {
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', model.inFeatures] }],
      outputs: [{ name: 'scores', dtype: 'float32', shape: ['batch', model.classes] }],
    },
    ...(opts.smokeTest === null ? {} : { smokeTest: opts.smokeTest ?? classifierSmokeTest(model) }),
    card: { metrics: {} },
  };
}

export interface ArtifactOptions extends ClassifierOptions {
  model?: string;
  version?: string;
  accelerator?: TModelTargetCustom['accelerator'];
  /** `pass` (default); `wrong-output`: expectations off by 0.5, so the smoke test fails; `none`: no smoke test. */
  smoke?: 'pass' | 'wrong-output' | 'none';
}

/**
 * A complete artifact for install tests: the model file, its signed-metadata `custom`, and its
 * length and sha256. `{ nan: true }` makes one whose smoke test fails on NaN outputs.
 */
export async function writeClassifierArtifact(file: string, opts: ArtifactOptions = {}) {
  const model = await writeClassifierModel(file, opts);
  const smoke = opts.smoke ?? 'pass';
  const target = classifierTarget(model, {
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.accelerator ? { accelerator: opts.accelerator } : {}),
    smokeTest: smoke === 'none' ? null : classifierSmokeTest(model, { wrongOutput: smoke === 'wrong-output' }),
  });
  const bytes = await readFile(file);
  return { model, target, length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
