// onnx-proto is CommonJS: its namespace comes through the default export under ESM.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

const tensorType = (dims: (number | string)[]) => ({
  tensorType: {
    elemType: FLOAT,
    shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
  },
});

/**
 * A small ONNX model built locally (no downloads): Y = Relu(X · W + B), X [batch, 4] → Y [batch, 3].
 * `weightsAsInputs` lists W and B as graph inputs too, as older exporters do.
 */
export function buildTestOnnxModel(opts: { weightsAsInputs?: boolean; seed?: number } = {}): Uint8Array {
  const seed = opts.seed ?? 1;
  const w = Float32Array.from({ length: 12 }, (_, i) => ((i * 7 + seed) % 5) / 10 - 0.2);
  const b = Float32Array.from({ length: 3 }, (_, i) => i / 10);
  const init = (name: string, dims: number[], data: Float32Array) => ({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'mlp',
      node: [
        { opType: 'MatMul', input: ['X', 'W'], output: ['XW'] },
        { opType: 'Add', input: ['XW', 'B'], output: ['Z'] },
        { opType: 'Relu', input: ['Z'], output: ['Y'] },
      ],
      initializer: [init('W', [4, 3], w), init('B', [3], b)],
      input: [
        { name: 'X', type: tensorType(['batch', 4]) },
        ...(opts.weightsAsInputs
          ? [
              { name: 'W', type: tensorType([4, 3]) },
              { name: 'B', type: tensorType([3]) },
            ]
          : []),
      ],
      output: [{ name: 'Y', type: tensorType(['batch', 3]) }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
