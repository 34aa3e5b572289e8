import { open } from 'node:fs/promises';
// onnx-proto is CommonJS: under Node's ESM its namespace arrives on the default export.
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

import { type Field, WireFormatError, WireReader } from './wire-reader.ts';

export interface OnnxTensor {
  name: string;
  dtype: string;
  /** A number per fixed dimension; a string for a symbolic one (e.g. "batch"); -1 when unknown. */
  shape: (number | string)[];
}

export interface OnnxSignature {
  irVersion: number;
  /** Version of the default (ai.onnx) operator set. */
  opset: number | null;
  producer: string | null;
  inputs: OnnxTensor[];
  outputs: OnnxTensor[];
}

export class NotOnnxError extends Error {
  override readonly name = 'NotOnnxError';
}

// Field numbers from onnx.proto (ModelProto, GraphProto, TensorProto).
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const GRAPH = { initializer: 5, input: 11, output: 12 } as const;
const TENSOR_NAME = 8;
const MAX_SMALL_FIELD = 1 << 20;

const DTYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

function tensorOf(info: OnnxTypes.IValueInfoProto): OnnxTensor {
  const tensor = info.type?.tensorType;
  return {
    name: info.name ?? '',
    dtype: DTYPES[tensor?.elemType ?? 0] ?? 'unknown',
    shape: (tensor?.shape?.dim ?? []).map((d) => {
      if (d.dimParam) return d.dimParam;
      if (d.dimValue !== undefined && d.dimValue !== null) return Number(d.dimValue);
      return -1;
    }),
  };
}

async function initializerName(reader: WireReader, init: Field): Promise<string | null> {
  for await (const f of reader.fields(init.start, init.start + init.length)) {
    if (f.number === TENSOR_NAME && f.wireType === 2) return (await reader.bytes(f, 4096)).toString('utf8');
  }
  return null;
}

/**
 * The tensor signature and opset of an ONNX model, read without loading the file: weights in
 * initializers are skipped by offset, so memory stays small whatever the model's size.
 * Throws NotOnnxError when the file is not an ONNX ModelProto.
 */
export async function readOnnxSignature(path: string): Promise<OnnxSignature> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size === 0) throw new NotOnnxError('the file is empty');
    const reader = new WireReader(file, size);
    let irVersion: number | null = null;
    let opset: number | null = null;
    let producer: string | null = null;
    let graph: Field | null = null;
    for await (const f of reader.fields(0, size)) {
      if (f.number === MODEL.irVersion && f.wireType === 0) irVersion = Number(f.value);
      else if (f.number === MODEL.producerName && f.wireType === 2)
        producer = (await reader.bytes(f, 4096)).toString('utf8');
      else if (f.number === MODEL.graph && f.wireType === 2) graph = f;
      else if (f.number === MODEL.opsetImport && f.wireType === 2) {
        const set = onnx.OperatorSetIdProto.decode(await reader.bytes(f, 4096));
        if (!set.domain || set.domain === 'ai.onnx') opset = Number(set.version);
      }
    }
    if (irVersion === null || irVersion < 1 || irVersion > 100 || !graph) {
      throw new NotOnnxError('no ONNX model header (ir_version and graph) was found');
    }
    const initializers = new Set<string>();
    const inputs: OnnxTensor[] = [];
    const outputs: OnnxTensor[] = [];
    for await (const f of reader.fields(graph.start, graph.start + graph.length)) {
      if (f.wireType !== 2) continue;
      if (f.number === GRAPH.initializer) {
        const name = await initializerName(reader, f);
        if (name) initializers.add(name);
      } else if (f.number === GRAPH.input) {
        inputs.push(tensorOf(onnx.ValueInfoProto.decode(await reader.bytes(f, MAX_SMALL_FIELD))));
      } else if (f.number === GRAPH.output) {
        outputs.push(tensorOf(onnx.ValueInfoProto.decode(await reader.bytes(f, MAX_SMALL_FIELD))));
      }
    }
    if (outputs.length === 0) throw new NotOnnxError('the graph has no outputs');
    // Older exporters list weights among the graph inputs too; they are not inputs a caller feeds.
    return { irVersion, opset, producer, inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } catch (e) {
    if (e instanceof NotOnnxError) throw e;
    // File system errors (they carry a code) are the caller's to see; anything else means the
    // bytes did not decode as the protobuf messages an ONNX model is made of.
    if (e instanceof Error && !('code' in e)) {
      throw new NotOnnxError(`not an ONNX model: ${e instanceof WireFormatError ? e.message : 'malformed protobuf'}`);
    }
    throw e;
  } finally {
    await file.close();
  }
}
