import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Session } from '../inference/backend.ts';
import { InferenceError } from '../inference/errors.ts';
import { type Tensor, tensor } from '../inference/tensor.ts';
import { type ClassifierModel, seededInputs, writeClassifierModel } from './models.ts';

const expectClose = (got: Tensor | undefined, want: Float32Array, shape: number[]) => {
  expect(got?.dtype).toBe('float32');
  expect(got?.shape).toEqual(shape);
  const values = Array.from(got?.data as Float32Array);
  values.forEach((v, i) => {
    expect(v).toBeCloseTo(want[i] as number, 5);
  });
};

const rejectsWith = async (p: Promise<unknown>, code: InferenceError['code'], message: RegExp) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InferenceError);
  expect((e as InferenceError).code).toBe(code);
  expect((e as InferenceError).message).toMatch(message);
};

/**
 * The behaviour every Backend must have, run against each one that can run here (and a fake
 * standing in for those that cannot): the same model, the same cases.
 */
export function backendContract(label: string, make: () => Backend) {
  describe(`Backend contract: ${label}`, () => {
    let dir: string;
    let model: ClassifierModel;
    let backend: Backend;
    let session: Session;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'edgefleet-backend-'));
      model = await writeClassifierModel(join(dir, 'classifier.onnx'), { inFeatures: 4, classes: 3, seed: 7 });
      backend = make();
      session = await backend.load(model.file, { accelerator: 'cpu' });
    });
    afterAll(async () => {
      await session?.unload();
      await rm(dir, { recursive: true, force: true });
    });

    it('describes itself as available on the CPU for ONNX', async () => {
      const d = await backend.describe();
      expect(d).toMatchObject({ name: backend.name, available: true });
      expect(d.accelerators).toContain('cpu');
      expect(backend.runtimes).toContain('onnx');
    });

    it("reports the model's signature", () => {
      expect(session.backend).toBe(backend.name);
      expect(session.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 4] }]);
      expect(session.outputs).toEqual([{ name: 'scores', dtype: 'float32', shape: ['batch', 3] }]);
    });

    it('computes what the model computes, for a batch and for concurrent calls', async () => {
      const x = seededInputs(1, 5, 4);
      const out = await session.infer({ x: tensor('float32', [5, 4], x) });
      expect(Object.keys(out)).toEqual(['scores']);
      expectClose(out.scores, model.predict(x, 5), [5, 3]);

      const inputs = Array.from({ length: 16 }, (_, i) => seededInputs(100 + i, 1, 4));
      const outs = await Promise.all(inputs.map((xi) => session.infer({ x: tensor('float32', [1, 4], xi) })));
      outs.forEach((o, i) => {
        expectClose(o.scores, model.predict(inputs[i] as Float32Array, 1), [1, 3]);
      });
    });

    it('refuses bad feeds with a clear bad_input error', async () => {
      const x = tensor('float32', [1, 4], [1, 2, 3, 4]);
      await rejectsWith(session.infer({ x, y: x }), 'bad_input', /unknown input "y".*x \(float32 \[batch, 4\]\)/);
      await rejectsWith(session.infer({}), 'bad_input', /missing input x/);
      await rejectsWith(
        session.infer({ x: tensor('int32', [1, 4], [1, 2, 3, 4]) }),
        'bad_input',
        /input "x" must be float32, not int32/,
      );
      await rejectsWith(
        session.infer({ x: tensor('float32', [1, 3], [1, 2, 3]) }),
        'bad_input',
        /shape \[1, 3\]; the model expects \[batch, 4\]/,
      );
      await rejectsWith(
        session.infer({ x: tensor('float32', [4], [1, 2, 3, 4]) }),
        'bad_input',
        /shape \[4\]; the model expects \[batch, 4\]/,
      );
      await rejectsWith(
        session.infer({ x: { dtype: 'float32', shape: [2, 4], data: new Float32Array(4) } }),
        'bad_input',
        /4 values; shape \[2, 4\] needs 8/,
      );
      // Still serving after all that.
      const ok = await session.infer({ x });
      expectClose(ok.scores, model.predict(x.data as Float32Array, 1), [1, 3]);
    });

    it('refuses a file that is not a model, naming it', async () => {
      const junk = join(dir, 'junk.onnx');
      await writeFile(junk, 'not a model');
      await rejectsWith(backend.load(junk, { accelerator: 'cpu' }), 'backend', /junk\.onnx/);
    });

    it('unloads once; later calls fail as unavailable', async () => {
      const other = await backend.load(model.file, { accelerator: 'cpu' });
      const x = tensor('float32', [1, 4], [0, 0, 0, 0]);
      await other.infer({ x });
      await other.unload();
      await other.unload();
      await rejectsWith(other.infer({ x }), 'unavailable', /unloaded/);
    });
  });
}
