/**
 * Writes a tiny real ONNX classifier and the files to publish and query it, for the quickstart
 * (docs/quickstart.md) and the end-to-end story test:
 *
 *   node --import tsx scripts/sample-model.ts model.onnx [--seed 1] [--wrong-expected]
 *
 * writes, beside the model:
 *   model.input.json     smoke-test input for `edgefleet models publish --sample-input`
 *   model.expected.json  the output the model gives for it (`--expected-output`); with
 *                        --wrong-expected every value is off by 0.5, so the smoke test fails on
 *                        the device, as a broken build would
 *   model.infer.json     a KServe v2 inference request for the agent's local API
 *   model.answer.json    the scores the model answers that request with
 *
 * The model: scores = Softmax(x · W + b), input "x" float32 [batch, 4], output "scores" float32
 * [batch, 3]. A different --seed gives different weights: a "retrained" version.
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { seededInputs, writeClassifierModel } from '../packages/agent/src/test/models.ts';

export interface SampleModelFiles {
  model: string;
  input: string;
  expected: string;
  infer: string;
  answer: string;
  /** The scores the model gives for the inference request, row-major. */
  scores: number[];
}

export async function writeSampleModel(file: string, opts: { seed?: number; wrongExpected?: boolean } = {}) {
  const seed = opts.seed ?? 1;
  const base = file.replace(/\.onnx$/, '');
  const files = {
    model: file,
    input: `${base}.input.json`,
    expected: `${base}.expected.json`,
    infer: `${base}.infer.json`,
    answer: `${base}.answer.json`,
  };
  const model = await writeClassifierModel(file, { inFeatures: 4, classes: 3, seed });
  const smokeIn = seededInputs(42, 2, 4);
  const smokeOut = [...model.predict(smokeIn, 2)].map((v) => (opts.wrongExpected ? v + 0.5 : v));
  await writeFile(files.input, `${JSON.stringify({ x: [[...smokeIn.slice(0, 4)], [...smokeIn.slice(4)]] })}\n`);
  await writeFile(files.expected, `${JSON.stringify({ scores: [smokeOut.slice(0, 3), smokeOut.slice(3)] })}\n`);
  // Inputs an application might send: one row, easy to type.
  const x = Float32Array.from([0.5, -0.25, 1, 0.125]);
  const scores = [...model.predict(x, 1)];
  await writeFile(
    files.infer,
    `${JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [...x] }] })}\n`,
  );
  await writeFile(files.answer, `${JSON.stringify({ scores })}\n`);
  return { ...files, scores } satisfies SampleModelFiles;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { seed: { type: 'string', default: '1' }, 'wrong-expected': { type: 'boolean', default: false } },
  });
  const [file] = positionals;
  const seed = Number(values.seed);
  if (!file?.endsWith('.onnx') || !Number.isInteger(seed)) {
    process.stderr.write('usage: node --import tsx scripts/sample-model.ts OUT.onnx [--seed N] [--wrong-expected]\n');
    process.exit(2);
  }
  const out = await writeSampleModel(file, { seed, wrongExpected: values['wrong-expected'] });
  process.stdout.write(
    `wrote ${out.model}, ${out.input}, ${out.expected}${values['wrong-expected'] ? ' (wrong on purpose)' : ''}, ${out.infer}\n` +
      `POST ${out.infer} to /v2/models/<name>/infer; expect scores ≈ [${out.scores.map((v) => v.toFixed(4)).join(', ')}]\n`,
  );
}
