import { z } from 'zod';
import { InferenceError } from './errors.ts';
import {
  DTYPES,
  elementCount,
  formatShape,
  halfToFloat,
  isDtype,
  type Tensor,
  type TensorDtype,
  type TensorSpec,
  tensor,
} from './tensor.ts';

/**
 * The Open Inference Protocol (KServe v2) JSON forms: datatype names, request validation and
 * tensor conversion. Tensor data in JSON is row-major, flat or nested.
 */
export const oipDatatype = (dtype: string): string =>
  isDtype(dtype) ? DTYPES[dtype].oip : dtype === 'string' ? 'BYTES' : dtype.toUpperCase();

const FROM_OIP = new Map(Object.entries(DTYPES).map(([dtype, d]) => [d.oip as string, dtype as TensorDtype]));

/** Symbolic and unknown dimensions are -1 in OIP metadata. */
export const oipShape = (shape: readonly (number | string)[]) => shape.map((d) => (typeof d === 'number' ? d : -1));

export const describeOip = (s: TensorSpec) => `${s.name} (${oipDatatype(s.dtype)} ${formatShape(oipShape(s.shape))})`;

const ZParameters = z.record(z.string(), z.unknown()).optional();
export const ZInferRequest = z.object({
  id: z.string().max(256).optional(),
  parameters: ZParameters,
  inputs: z
    .array(
      z.object({
        name: z.string().min(1).max(256),
        shape: z.array(z.number().int().nonnegative()).max(16),
        datatype: z.string().min(1).max(16),
        data: z.array(z.unknown()),
        parameters: ZParameters,
      }),
    )
    .min(1)
    .max(64),
  outputs: z
    .array(z.object({ name: z.string().min(1).max(256), parameters: ZParameters }))
    .max(64)
    .optional(),
});
export type TInferRequest = z.infer<typeof ZInferRequest>;

const INT_RANGE: Partial<Record<TensorDtype, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** An OIP request input as a Tensor of the model's element type; InferenceError('bad_input') when it cannot be. */
export function tensorFromOip(input: TInferRequest['inputs'][number], spec: TensorSpec): Tensor {
  const bad = (m: string) => new InferenceError('bad_input', `input "${input.name}": ${m}`);
  const dtype = FROM_OIP.get(input.datatype);
  if (!dtype) throw bad(`unknown datatype ${input.datatype}`);
  if (dtype !== spec.dtype) throw bad(`datatype ${input.datatype}, but the model takes ${oipDatatype(spec.dtype)}`);
  const values = input.data.flat(Number.POSITIVE_INFINITY) as unknown[];
  const count = elementCount(input.shape);
  if (values.length !== count) {
    throw bad(`${values.length} values for shape ${formatShape(input.shape)}, which holds ${count}`);
  }
  const range = INT_RANGE[dtype];
  for (const [i, v] of values.entries()) {
    const ok =
      dtype === 'bool'
        ? typeof v === 'boolean'
        : typeof v === 'number' && (!range || (Number.isInteger(v) && v >= range[0] && v <= range[1]));
    if (!ok) throw bad(`value ${JSON.stringify(v)} at index ${i} is not ${input.datatype}`);
  }
  return tensor(dtype, [...input.shape], values as (number | boolean)[]);
}

/** A Tensor as an OIP output, data flat; 64-bit integers beyond 2^53 lose precision in JSON. */
export function tensorToOip(name: string, t: Tensor) {
  const data: (number | boolean)[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i] as number | bigint;
    data[i] = t.dtype === 'bool' ? v !== 0 : t.dtype === 'float16' ? halfToFloat(Number(v)) : Number(v);
  }
  return { name, datatype: DTYPES[t.dtype].oip, shape: t.shape, data };
}
