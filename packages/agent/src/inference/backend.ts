import type { TModelTargetCustom, TTensorSignature } from '@edgefleet/protocol/registry';
import type { Tensor, TensorSpec } from './tensor.ts';

export type Runtime = TModelTargetCustom['runtime'];
export type AcceleratorKind = TModelTargetCustom['accelerator'];

export interface BackendDescription {
  name: string;
  /** false when the package or its native library cannot load here; `reason` says why. */
  available: boolean;
  reason?: string;
  /** Accelerator kinds (TModelTargetCustom.accelerator) this backend can run on this machine. */
  accelerators: string[];
  /** onnxruntime execution providers it would try, best first. */
  executionProviders?: string[];
}

export interface LoadOptions {
  accelerator: string;
  /** The artifact's declared signature, for runtimes that cannot report element types themselves. */
  declared?: TTensorSignature;
}

/**
 * A loaded model. `infer` may be called concurrently; it refuses feeds that do not match
 * `inputs` with an InferenceError('bad_input') before the runtime sees them. After `unload`
 * (idempotent) every call fails with InferenceError('unavailable').
 */
export interface Session {
  readonly backend: string;
  /** Where it actually runs (an onnxruntime execution provider, an OpenVINO device, …). */
  readonly executionProvider: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  unload(): Promise<void>;
}

/** An inference runtime. Constructing one never loads native code; describe() and load() may. */
export interface Backend {
  readonly name: string;
  /** Artifact runtimes (TModelTargetCustom.runtime) it reads. */
  readonly runtimes: readonly Runtime[];
  describe(): Promise<BackendDescription>;
  load(file: string, opts: LoadOptions): Promise<Session>;
}
