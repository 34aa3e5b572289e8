import { basename } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Log } from '../runtime.ts';
import type { Backend, BackendDescription, LoadOptions, Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import { OrtSession, ortMessage } from './ort-session.ts';

export type OrtNodeModule = Pick<typeof ort, 'Tensor' | 'InferenceSession' | 'listSupportedBackends'>;

/** Execution providers that use each accelerator kind, best first; cpu is always the last resort. */
const EPS_FOR_ACCELERATOR: Record<string, string[]> = {
  tensorrt: ['tensorrt', 'cuda'],
  cuda: ['cuda'],
  openvino: ['openvino'],
  coreml: ['coreml'],
  cpu: [],
};
const ACCELERATOR_FOR_EP: Record<string, string> = {
  tensorrt: 'tensorrt',
  cuda: 'cuda',
  openvino: 'openvino',
  coreml: 'coreml',
  cpu: 'cpu',
};
const EP_ORDER = ['tensorrt', 'cuda', 'openvino', 'coreml'];

/**
 * The execution providers worth trying on this machine: those the detected hardware
 * (facts.accelerators kinds — a Jetson reports cuda and tensorrt) can use, limited to the ones the
 * installed binding was built with when that is known, then cpu.
 */
export function executionProvidersFor(accelerators: readonly string[], supported?: readonly string[]): string[] {
  const wanted = new Set(accelerators.flatMap((kind) => EPS_FOR_ACCELERATOR[kind] ?? []));
  return [...EP_ORDER.filter((ep) => wanted.has(ep) && (!supported || supported.includes(ep))), 'cpu'];
}

export interface OrtNodeBackendOptions {
  /** Accelerator kinds detected on this machine (facts.accelerators[].kind). */
  accelerators: readonly string[];
  log: Log;
  /** How the binding is imported; tests pass one that fails. Imported on first use only. */
  importOrt?: () => Promise<OrtNodeModule>;
  intraOpNumThreads?: number;
}

/** onnxruntime's native binding: the accelerator's execution provider, falling back to cpu. */
export class OnnxruntimeNodeBackend implements Backend {
  readonly name = 'onnxruntime-node';
  readonly runtimes = ['onnx'] as const;
  private module: Promise<OrtNodeModule> | null = null;

  constructor(private readonly opts: OrtNodeBackendOptions) {}

  private ort(): Promise<OrtNodeModule> {
    this.module ??= (this.opts.importOrt ?? (() => import('onnxruntime-node')))();
    return this.module;
  }

  private async providers(): Promise<string[]> {
    const supported = (await this.ort()).listSupportedBackends().map((b) => b.name);
    return executionProvidersFor(this.opts.accelerators, supported);
  }

  async describe(): Promise<BackendDescription> {
    try {
      const eps = await this.providers();
      return {
        name: this.name,
        available: true,
        accelerators: eps.map((ep) => ACCELERATOR_FOR_EP[ep] ?? ep),
        executionProviders: eps,
      };
    } catch (e) {
      return {
        name: this.name,
        available: false,
        reason: `cannot load its native binding: ${ortMessage(e)}`,
        accelerators: [],
      };
    }
  }

  async load(file: string, { accelerator }: LoadOptions): Promise<Session> {
    let ortModule: OrtNodeModule;
    let usable: string[];
    try {
      ortModule = await this.ort();
      usable = await this.providers();
    } catch (e) {
      throw new InferenceError('unavailable', `onnxruntime-node cannot load its native binding: ${ortMessage(e)}`);
    }
    const wanted = EPS_FOR_ACCELERATOR[accelerator] ?? [];
    const attempts = [...wanted.filter((ep) => usable.includes(ep)), 'cpu'];
    const skipped = wanted.filter((ep) => !usable.includes(ep));
    if (skipped.length > 0) {
      this.opts.log(
        `onnxruntime-node: ${basename(file)} is built for ${accelerator}, but ${skipped.join('/')} is not usable here ` +
          `(detected: ${this.opts.accelerators.join(', ') || 'no accelerator'}); trying ${attempts.join(', ')}`,
      );
    }
    for (const [i, ep] of attempts.entries()) {
      try {
        const session = await ortModule.InferenceSession.create(file, {
          executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'],
          logSeverityLevel: 3,
          ...(this.opts.intraOpNumThreads ? { intraOpNumThreads: this.opts.intraOpNumThreads } : {}),
        });
        return new OrtSession(ortModule, session, this.name, ep);
      } catch (e) {
        const next = attempts[i + 1];
        if (!next)
          throw new InferenceError('backend', `onnxruntime-node cannot load ${basename(file)}: ${ortMessage(e)}`);
        this.opts.log(
          `onnxruntime-node: the ${ep} execution provider failed for ${basename(file)} (${ortMessage(e)}); falling back to ${next}`,
        );
      }
    }
    throw new Error('unreachable: the cpu attempt returns or throws');
  }
}
