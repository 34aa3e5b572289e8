import { z } from 'zod';

/**
 * Model registry contract. A published version is TUF targets metadata (built and signed with
 * @tufjs/models) whose targets are the version's artifacts; each target's `custom` field is a
 * TModelTargetCustom. The control plane stores the signed bytes as received; devices verify
 * them against the publisher's public key on their own.
 */

/** Model names become path segments: lowercase, no dots or slashes, so no traversal. */
export const MODEL_NAME = /^[a-z0-9](?:[a-z0-9-_]{0,62}[a-z0-9])?$/;
/** semver 2.0.0 */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const ZModelName = z
  .string()
  .regex(MODEL_NAME, 'model names are 1-64 of a-z 0-9 - _, starting and ending with a letter or digit');
export const ZSemver = z.string().regex(SEMVER, 'version must be semver, e.g. 1.2.0');

export const ZRuntime = z.enum(['onnx', 'tflite', 'tensorrt', 'openvino', 'coreml']);
export const ZAcceleratorKind = z.enum(['cpu', 'cuda', 'tensorrt', 'openvino', 'coreml', 'edgetpu', 'npu']);
export const ZPrecision = z.enum(['fp32', 'fp16', 'int8']);

export const ZTensor = z.object({
  name: z.string().min(1).max(256),
  /** ONNX element type name: float32, float16, int8, uint8, int32, int64, bool, string, … */
  dtype: z.string().min(1).max(32),
  /** Dimensions; a string is a symbolic dimension (e.g. "batch"), -1 unknown. */
  shape: z.array(z.union([z.number().int(), z.string().max(64)])).max(16),
});
export const ZTensorSignature = z.object({ inputs: z.array(ZTensor).max(64), outputs: z.array(ZTensor).max(64) });
export type TTensorSignature = z.infer<typeof ZTensorSignature>;

/**
 * A number as a decimal string. What is signed is TUF canonical JSON, which allows integers
 * only, so fractional values (metrics, tolerances) travel as text.
 */
export const ZDecimal = z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'a decimal number as a string, e.g. "0.93"');

/** Tensor values for the smoke test: little-endian bytes, base64, with their element type and shape. */
export const ZTensorData = z.object({
  dtype: z.enum(['float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool']),
  shape: z.array(z.number().int().nonnegative()).max(16),
  data: z.string().max(1_000_000),
});
export type TTensorData = z.infer<typeof ZTensorData>;

/** On-device smoke test: feed `input`, expect `expectedOutput` within `tolerance` (absolute). Tensors by name. */
export const ZSmokeTest = z.object({
  input: z.record(z.string(), ZTensorData),
  expectedOutput: z.record(z.string(), ZTensorData),
  tolerance: ZDecimal,
});

export const ZModelCard = z.object({
  framework: z.string().max(64).optional(),
  opset: z.number().int().nonnegative().optional(),
  /** Evaluation metrics, e.g. { accuracy: "0.931" }. */
  metrics: z.record(z.string(), ZDecimal).default({}),
  datasetHash: z.string().max(128).optional(),
  sourceCommit: z.string().max(64).optional(),
  sbom: z.unknown().optional(),
  description: z.string().max(2000).optional(),
  task: z.string().max(64).optional(),
});
export type TModelCard = z.infer<typeof ZModelCard>;

export const ZModelTargetCustom = z.object({
  model: ZModelName,
  version: ZSemver,
  runtime: ZRuntime,
  accelerator: ZAcceleratorKind,
  precision: ZPrecision,
  tensors: ZTensorSignature,
  memoryBytes: z.number().int().nonnegative().optional(),
  smokeTest: ZSmokeTest.optional(),
  card: ZModelCard,
});
export type TModelTargetCustom = z.infer<typeof ZModelTargetCustom>;

/** The target path of an artifact inside the signed metadata. */
export const artifactPath = (
  c: Pick<TModelTargetCustom, 'model' | 'version' | 'runtime' | 'accelerator' | 'precision'>,
) => `models/${c.model}/${c.version}/${c.runtime}-${c.accelerator}-${c.precision}`;

/** POST /api/registry/versions (Bearer token with models:publish): register a signed version. */
export const ZCreateVersionRequest = z.object({
  /** The signed TUF targets metadata, as the exact JSON text that was signed and will be stored. */
  signedMetadata: z.string().min(2).max(1_000_000),
  changelog: z.string().max(10_000).optional(),
});
export const ZCreateVersionResponse = z.object({
  versionId: z.string(),
  model: z.string(),
  version: z.string(),
  /** Artifacts still to upload: PUT the bytes to `uploadUrl` (path relative to the server). */
  uploads: z.array(z.object({ path: z.string(), sha256: z.string(), length: z.number(), uploadUrl: z.string() })),
});
export type TCreateVersionResponse = z.infer<typeof ZCreateVersionResponse>;
