import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
// onnx-proto is CommonJS: under Node's ESM its namespace arrives on the default export.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Writes a small real ONNX model, y = Relu(x · W + b), built locally (tests never download
 * models). `weightBytes` pads W's raw data so tests can make large files cheaply.
 */
export async function writeTestModel(
  path: string,
  { inFeatures = 4, outFeatures = 3, listWeightsAsInputs = false } = {},
): Promise<void> {
  const floats = (n: number, f: (i: number) => number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = f(i);
    return new Uint8Array(a.buffer);
  };
  const tensorType = (dims: (number | string)[]) => ({
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  });
  const weights = [
    {
      name: 'W',
      dims: [inFeatures, outFeatures],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: floats(inFeatures * outFeatures, (i) => ((i % 7) - 3) / 10),
    },
    {
      name: 'b',
      dims: [outFeatures],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: floats(outFeatures, (i) => i / 10),
    },
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'mlp',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
        { opType: 'Relu', input: ['z'], output: ['y'] },
      ],
      initializer: weights,
      input: [
        { name: 'x', type: tensorType(['batch', inFeatures]) },
        ...(listWeightsAsInputs
          ? [
              { name: 'W', type: tensorType([inFeatures, outFeatures]) },
              { name: 'b', type: tensorType([outFeatures]) },
            ]
          : []),
      ],
      output: [{ name: 'y', type: tensorType(['batch', outFeatures]) }],
    },
  });
  await writeFile(path, onnx.ModelProto.encode(model).finish());
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const field = (num: number, payloadLength: number) => Buffer.concat([varint((num << 3) | 2), varint(payloadLength)]);

/**
 * Streams a valid ONNX model of about `bytes` bytes to `path` without holding it in memory:
 * y = x · W with W a [1, n] float32 initializer whose raw data fills the file. Protobuf field
 * order is free, so the small messages are encoded normally and the weight bytes streamed after.
 */
export async function writeLargeTestModel(path: string, bytes: number, seed = 0): Promise<void> {
  const n = Math.max(1, Math.floor(bytes / 4));
  const tensorType = (dims: number[]) => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  });
  const header = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'edgefleet-bench',
    opsetImport: [{ domain: '', version: 17 }],
  }).finish();
  const graphSmall = onnx.GraphProto.encode({
    name: 'large',
    node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
    input: [{ name: 'x', type: tensorType([1, 1]) }],
    output: [{ name: 'y', type: tensorType([1, n]) }],
  }).finish();
  const tensorHead = onnx.TensorProto.encode({
    name: 'W',
    dims: [1, n],
    dataType: onnx.TensorProto.DataType.FLOAT,
  }).finish();
  const rawLength = n * 4;
  const rawField = field(9, rawLength);
  const tensorLength = tensorHead.length + rawField.length + rawLength;
  const initField = field(5, tensorLength);
  const graphLength = graphSmall.length + initField.length + tensorLength;
  const out = createWriteStream(path);
  const write = async (chunk: Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  for (const part of [header, field(7, graphLength), graphSmall, initField, tensorHead, rawField]) await write(part);
  const chunk = Buffer.alloc(1 << 20);
  // The seed varies the bytes, so each file hashes differently.
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + seed * 7) & 0xff;
  for (let left = rawLength; left > 0; left -= chunk.length)
    await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  out.end();
  await once(out, 'finish');
}
