import { readFile, stat } from 'node:fs/promises';
import { NotOnnxError, readOnnxSignature } from '@edgefleet/onnx/signature';
import {
  type TModelTargetCustom,
  type TTensorSignature,
  ZAcceleratorKind,
  ZCreateVersionResponse,
  ZDecimal,
  ZModelName,
  ZPrecision,
  ZRuntime,
  ZSemver,
  ZSmokeTest,
} from '@edgefleet/protocol/registry';
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { CliError, resolveContext } from '../context.ts';
import { loadPublisherKey } from '../registry/publisher-key.ts';
import { signVersion } from '../registry/sign-version.ts';
import { encodeTensors } from '../registry/smoke-test.ts';
import { hashFile, httpError, progressReporter, uploadFile } from '../registry/upload.ts';
import { collectTag } from './parse.ts';

interface PublishOptions {
  model: string;
  version: string;
  key: string;
  runtime: string;
  accelerator: string;
  precision: string;
  sampleInput?: string;
  expectedOutput?: string;
  tolerance?: string;
  changelog?: string;
  metric?: Record<string, string>;
  sourceCommit?: string;
  datasetHash?: string;
  task?: string;
  description?: string;
}

/** Flags are checked here with the protocol's own schemas, so a typo fails before anything is hashed or sent. */
function check<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'}`, 2);
  return r.data;
}

async function readJson(path: string, flag: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`${flag}: cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${flag}: ${path} is not JSON`);
  }
}

async function smokeTest(opts: PublishOptions, tensors: TTensorSignature): Promise<TModelTargetCustom['smokeTest']> {
  if (!opts.sampleInput && !opts.expectedOutput) return undefined;
  if (!opts.sampleInput || !opts.expectedOutput) {
    throw new CliError('--sample-input and --expected-output go together', 2);
  }
  const value = {
    input: encodeTensors(await readJson(opts.sampleInput, '--sample-input'), tensors.inputs, '--sample-input'),
    expectedOutput: encodeTensors(
      await readJson(opts.expectedOutput, '--expected-output'),
      tensors.outputs,
      '--expected-output',
    ),
    tolerance: opts.tolerance ?? '1e-4',
  };
  return check(ZSmokeTest, value, '--sample-input/--expected-output');
}

async function tensorSignature(file: string, runtime: string) {
  if (runtime !== 'onnx') return { opset: undefined, producer: undefined, tensors: { inputs: [], outputs: [] } };
  try {
    const sig = await readOnnxSignature(file);
    return {
      opset: sig.opset ?? undefined,
      producer: sig.producer ?? undefined,
      tensors: { inputs: sig.inputs, outputs: sig.outputs },
    };
  } catch (e) {
    if (e instanceof NotOnnxError)
      throw new CliError(`${file} is not an ONNX model (labelled --runtime onnx): ${e.message}`);
    throw e;
  }
}

export function registerPublishCommand(models: Command) {
  models
    .command('publish')
    .description('sign a model file with your publisher key and upload it as a new, immutable version')
    .argument('<file>', 'the model file, e.g. model.onnx')
    .requiredOption('--model <name>', 'model name (a-z 0-9 - _)')
    .requiredOption('--version <semver>', 'version, e.g. 1.2.0; published versions never change')
    .requiredOption('--key <file>', 'publisher private key (from `edgefleet keys generate`)')
    .addOption(new Option('--runtime <runtime>', 'runtime').choices(ZRuntime.options).default('onnx'))
    .addOption(new Option('--accelerator <kind>', 'accelerator').choices(ZAcceleratorKind.options).default('cpu'))
    .addOption(new Option('--precision <precision>', 'precision').choices(ZPrecision.options).default('fp32'))
    .option('--sample-input <file>', 'JSON { tensor: [numbers] } fed to the model as an on-device smoke test')
    .option('--expected-output <file>', 'JSON { tensor: [numbers] } the smoke test must produce')
    .option('--tolerance <n>', 'smoke test absolute tolerance (default 1e-4)')
    .option('--changelog <text>', 'what changed in this version')
    .option(
      '--metric <name=value>',
      'evaluation metric for the model card, e.g. accuracy=0.931 (repeatable)',
      collectTag,
    )
    .option('--source-commit <sha>', 'commit the model was built from')
    .option('--dataset-hash <hash>', 'hash of the training dataset')
    .option('--task <task>', 'what the model does, e.g. object-detection')
    .option('--description <text>', 'one-line description of the model')
    .action(async (file: string, opts: PublishOptions, cmd: Command) => {
      const model = check(ZModelName, opts.model, '--model');
      const version = check(ZSemver, opts.version, '--version');
      const metrics: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.metric ?? {})) metrics[k] = check(ZDecimal, v, `--metric ${k}`);
      const size = await stat(file).then(
        (s) => (s.isFile() ? s.size : -1),
        () => -1,
      );
      if (size < 0) throw new CliError(`cannot read ${file}: no such file`);
      if (size === 0) throw new CliError(`${file} is empty (0 bytes); nothing to publish`);
      const key = await loadPublisherKey(opts.key);
      const { url, token, out } = await resolveContext(cmd);

      const onnx = await tensorSignature(file, opts.runtime);
      const { sha256, length } = await hashFile(file);
      const tensors: TTensorSignature = onnx.tensors;
      const custom: TModelTargetCustom = {
        model,
        version,
        runtime: opts.runtime as TModelTargetCustom['runtime'],
        accelerator: opts.accelerator as TModelTargetCustom['accelerator'],
        precision: opts.precision as TModelTargetCustom['precision'],
        tensors,
        smokeTest: await smokeTest(opts, tensors),
        card: {
          framework: onnx.producer ?? opts.runtime,
          opset: onnx.opset,
          metrics,
          sourceCommit: opts.sourceCommit,
          datasetHash: opts.datasetHash,
          task: opts.task,
          description: opts.description,
        },
      };
      const signedMetadata = signVersion([{ sha256, length, custom }], key);

      const auth = { authorization: `Bearer ${token}` };
      const res = await fetch(`${url}/api/registry/versions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ signedMetadata, ...(opts.changelog ? { changelog: opts.changelog } : {}) }),
      });
      if (!res.ok) throw await httpError(res, 'publish');
      const created = ZCreateVersionResponse.parse(await res.json());

      let published = created.uploads.length === 0;
      for (const upload of created.uploads) {
        out.info(`Uploading ${file} (${length} bytes, sha256 ${sha256.slice(0, 12)}…)`);
        const progress = progressReporter(upload.length, !out.json);
        const result = (await uploadFile(`${url}${upload.uploadUrl}`, file, auth, progress.update)) as {
          published: boolean;
        };
        progress.done();
        published = result.published;
      }
      const summary = {
        versionId: created.versionId,
        model,
        version,
        sha256,
        sizeBytes: length,
        keyId: key.keyId,
        published,
      };
      out.data(summary, () => {
        console.log(created.versionId);
        process.stderr.write(`Published ${model}@${version}, signed by key ${key.keyId.slice(0, 12)}…\n`);
      });
    });
}
