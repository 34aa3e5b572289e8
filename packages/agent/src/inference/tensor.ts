import type { TTensorData, TTensorSignature } from '@edgefleet/protocol/registry';
import { InferenceError } from './errors.ts';

/**
 * Element types the agent moves between backends, named as ONNX names them. float16 travels as
 * its IEEE half bits in a Uint16Array (Node 20 has no Float16Array); bool as one byte per value.
 */
export const DTYPES = {
  float32: { array: Float32Array, oip: 'FP32' },
  float64: { array: Float64Array, oip: 'FP64' },
  float16: { array: Uint16Array, oip: 'FP16' },
  int8: { array: Int8Array, oip: 'INT8' },
  uint8: { array: Uint8Array, oip: 'UINT8' },
  int16: { array: Int16Array, oip: 'INT16' },
  uint16: { array: Uint16Array, oip: 'UINT16' },
  int32: { array: Int32Array, oip: 'INT32' },
  uint32: { array: Uint32Array, oip: 'UINT32' },
  int64: { array: BigInt64Array, oip: 'INT64' },
  uint64: { array: BigUint64Array, oip: 'UINT64' },
  bool: { array: Uint8Array, oip: 'BOOL' },
} as const;

export type TensorDtype = keyof typeof DTYPES;
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A dense tensor in row-major order; `data.length` is the product of `shape`. */
export interface Tensor {
  dtype: TensorDtype;
  shape: number[];
  data: TypedArray;
}

/** One declared input or output: a number per fixed dimension, a string (or -1) for a free one. */
export type TensorSpec = TTensorSignature['inputs'][number];

export const isDtype = (s: string): s is TensorDtype => Object.hasOwn(DTYPES, s);
export const isFloat = (d: TensorDtype) => d === 'float32' || d === 'float64' || d === 'float16';
export const elementCount = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);
export const formatShape = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

export function tensor(dtype: TensorDtype, shape: number[], values: ArrayLike<number | bigint | boolean>): Tensor {
  const data = new DTYPES[dtype].array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint | boolean;
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[i] = BigInt(v);
    else data[i] = dtype === 'float16' ? floatToHalf(Number(v)) : Number(v);
  }
  return { dtype, shape, data };
}

/** The values as plain numbers (bigints beyond 2^53 lose precision; only comparisons use this). */
export function valuesOf(t: Tensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = t.data[i] as number | bigint;
    out[i] = t.dtype === 'float16' ? halfToFloat(v as number) : Number(v);
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    const m = (mant | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | ((e << 10) + ((mant + 0x1000) >> 13));
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

type WireDtype = TTensorData['dtype'];
const WIRE: Record<WireDtype, { bytes: number; read(v: DataView, at: number): number | bigint }> = {
  float32: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  float64: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  int64: { bytes: 8, read: (v, at) => v.getBigInt64(at, true) },
  int32: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  int8: { bytes: 1, read: (v, at) => v.getInt8(at) },
  uint8: { bytes: 1, read: (v, at) => v.getUint8(at) },
  bool: { bytes: 1, read: (v, at) => (v.getUint8(at) ? 1 : 0) },
};

/** A smoke-test tensor (little-endian bytes in base64) as a Tensor; throws with what is wrong. */
export function decodeTensorData(t: TTensorData): Tensor {
  const bytes = Buffer.from(t.data, 'base64');
  const { bytes: size, read } = WIRE[t.dtype];
  const count = elementCount(t.shape);
  if (bytes.length !== count * size) {
    throw new Error(`${bytes.length} bytes cannot hold ${t.dtype} ${formatShape(t.shape)} (${count * size} expected)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const values = Array.from({ length: count }, (_, i) => read(view, i * size));
  return tensor(t.dtype, [...t.shape], values);
}

/** The inverse of decodeTensorData, for building smoke tests. */
export function encodeTensorData(t: Tensor): TTensorData {
  if (!(t.dtype in WIRE)) throw new Error(`smoke tests cannot carry ${t.dtype}`);
  const dtype = t.dtype as WireDtype;
  const { bytes: size } = WIRE[dtype];
  const buf = Buffer.alloc(t.data.length * size);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i] as number | bigint;
    if (dtype === 'float32') buf.writeFloatLE(Number(v), i * size);
    else if (dtype === 'float64') buf.writeDoubleLE(Number(v), i * size);
    else if (dtype === 'int64') buf.writeBigInt64LE(BigInt(v), i * size);
    else if (dtype === 'int32') buf.writeInt32LE(Number(v), i * size);
    else if (dtype === 'int8') buf.writeInt8(Number(v), i * size);
    else if (dtype === 'bool') buf.writeUInt8(v ? 1 : 0, i * size);
    else buf.writeUInt8(Number(v), i * size);
  }
  return { dtype, shape: [...t.shape], data: buf.toString('base64') };
}

const describeSpec = (s: TensorSpec) => `${s.name} (${s.dtype} ${formatShape(s.shape)})`;

/**
 * Checks feeds against a session's declared inputs before a backend sees them, so every backend
 * refuses bad input with the same clear message (an `InferenceError('bad_input')`).
 */
export function checkFeeds(inputs: readonly TensorSpec[], feeds: Record<string, Tensor>): void {
  const bad = (message: string) => new InferenceError('bad_input', message);
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((s) => s.name === name)) {
      throw bad(`unknown input "${name}"; the model's inputs are ${inputs.map(describeSpec).join(', ')}`);
    }
  }
  for (const spec of inputs) {
    const t = feeds[spec.name];
    if (!t) throw bad(`missing input ${describeSpec(spec)}`);
    if (t.dtype !== spec.dtype) throw bad(`input "${spec.name}" must be ${spec.dtype}, not ${t.dtype}`);
    if (!(t.data instanceof DTYPES[t.dtype].array)) {
      throw bad(`input "${spec.name}" holds a ${t.data.constructor.name}, not ${DTYPES[t.dtype].array.name}`);
    }
    // ONNX runtimes report an undeclared shape as []: any shape then fits.
    const fits =
      t.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      (spec.shape.length === 0 ||
        (t.shape.length === spec.shape.length &&
          spec.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === t.shape[i])));
    if (!fits) {
      throw bad(`input "${spec.name}" has shape ${formatShape(t.shape)}; the model expects ${formatShape(spec.shape)}`);
    }
    if (t.data.length !== elementCount(t.shape)) {
      throw bad(
        `input "${spec.name}" has ${t.data.length} values; shape ${formatShape(t.shape)} needs ${elementCount(t.shape)}`,
      );
    }
  }
}
