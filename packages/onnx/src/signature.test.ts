import { mkdtempSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotOnnxError, readOnnxSignature } from './signature.ts';
import { writeTestModel } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'ef-onnx-'));

describe('readOnnxSignature', () => {
  it('reads inputs, outputs, dtypes, symbolic dims and the opset', async () => {
    const path = join(dir, 'mlp.onnx');
    await writeTestModel(path);
    expect(await readOnnxSignature(path)).toEqual({
      irVersion: 8,
      opset: 17,
      producer: 'edgefleet-tests',
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }],
    });
  });

  it('leaves weights listed among the graph inputs out of the inputs', async () => {
    const path = join(dir, 'old-exporter.onnx');
    await writeTestModel(path, { listWeightsAsInputs: true });
    expect((await readOnnxSignature(path)).inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('reads a large model without loading its weights', async () => {
    const path = join(dir, 'large.onnx');
    // 1024 × 8192 float32 weights: a 32 MiB initializer.
    await writeTestModel(path, { inFeatures: 1024, outFeatures: 8192 });
    expect(statSync(path).size).toBeGreaterThan(32 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const sig = await readOnnxSignature(path);
    expect(sig.inputs[0]?.shape).toEqual(['batch', 1024]);
    // Reads happen through a 64 KiB window, never the whole 32 MiB weight tensor.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses files that are not ONNX models', async () => {
    const cases: [string, string | Buffer][] = [
      ['empty.onnx', ''],
      ['text.onnx', 'hello, I am not a model\n'],
      ['json.onnx', JSON.stringify({ model: 'x' })],
      ['random.onnx', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      await expect(readOnnxSignature(path), name).rejects.toBeInstanceOf(NotOnnxError);
    }
  });

  it('refuses a truncated model', async () => {
    const path = join(dir, 'truncated.onnx');
    await writeTestModel(path);
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await expect(readOnnxSignature(path)).rejects.toBeInstanceOf(NotOnnxError);
  });

  it('passes file system errors through', async () => {
    await expect(readOnnxSignature(join(dir, 'missing.onnx'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('writeLargeTestModel', () => {
  it('streams a valid ONNX model of the asked size', async () => {
    const { writeLargeTestModel } = await import('./testing.ts');
    const path = join(dir, 'streamed.onnx');
    await writeLargeTestModel(path, 8 * 1024 * 1024);
    expect(Math.abs(statSync(path).size - 8 * 1024 * 1024)).toBeLessThan(1024);
    const sig = await readOnnxSignature(path);
    expect(sig.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 1] }]);
    expect(sig.outputs[0]?.shape).toEqual([1, 2 * 1024 * 1024]);
    // A second opinion: the reference decoder reads the same model.
    const { onnx } = await import('onnx-proto');
    const { readFileSync } = await import('node:fs');
    const decoded = onnx.ModelProto.decode(readFileSync(path));
    expect(decoded.graph?.initializer?.[0]?.rawData?.length).toBe(8 * 1024 * 1024);
  });
});
