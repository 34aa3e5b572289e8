import type { Log } from '../runtime.ts';
import type { Backend, BackendDescription } from './backend.ts';
import { InferenceError } from './errors.ts';
import { OnnxruntimeNodeBackend } from './onnxruntime-node.ts';
import { OnnxruntimeWebBackend } from './onnxruntime-web.ts';
import { OpenvinoBackend, TfliteBackend } from './optional.ts';

export interface BackendChoice {
  backend: Backend;
  /** The accelerator to load with: the artifact's, or cpu when nothing here can use that. */
  accelerator: string;
  description: BackendDescription;
  /** Set when the choice is a fallback, saying why. */
  note?: string;
}

/** ONNX and OpenVINO IR files run anywhere, only slower; Edge TPU, TensorRT and Core ML builds do not. */
const cpuFallbackPossible = (runtime: string, accelerator: string) =>
  (runtime === 'onnx' || runtime === 'openvino') && accelerator !== 'cpu';

/**
 * Picks the backend for an artifact: the first available one (in `backends` order) that reads
 * its runtime and can use its accelerator; failing that, for a portable format, the first that
 * can run it on the CPU. Throws InferenceError('no_backend') listing why each backend declined.
 */
export async function selectBackend(
  backends: readonly Backend[],
  artifact: { runtime: string; accelerator: string },
): Promise<BackendChoice> {
  const { runtime, accelerator } = artifact;
  // Described in order and only as far as needed: describe() may import a runtime.
  const described: { backend: Backend; d: BackendDescription }[] = [];
  const reads = (b: Backend) => b.runtimes.some((r) => r === runtime);
  for (const backend of backends) {
    const d = await backend.describe();
    described.push({ backend, d });
    if (d.available && reads(backend) && d.accelerators.includes(accelerator)) {
      return { backend, accelerator, description: d };
    }
  }
  const cpu = cpuFallbackPossible(runtime, accelerator)
    ? described.find(({ backend, d }) => d.available && reads(backend) && d.accelerators.includes('cpu'))
    : undefined;
  if (cpu) {
    return {
      backend: cpu.backend,
      accelerator: 'cpu',
      description: cpu.d,
      note: `no backend here can use ${accelerator}; running the ${runtime} model on the CPU with ${cpu.backend.name}`,
    };
  }
  const why = described.map(({ backend, d }) => {
    if (!d.available) return `${d.name}: ${d.reason ?? 'unavailable'}`;
    if (!reads(backend)) return `${d.name}: reads ${backend.runtimes.join('/')} only`;
    return `${d.name}: can use ${d.accelerators.join(', ') || 'nothing'} here`;
  });
  throw new InferenceError(
    'no_backend',
    `no backend here runs ${runtime} models built for ${accelerator} (${why.join('; ') || 'no backends configured'})`,
  );
}

export interface DefaultBackendOptions {
  /** Accelerator kinds detected on this machine (facts.accelerators[].kind). */
  accelerators: readonly string[];
  log: Log;
  canResolve?: (name: string) => boolean;
  /** onnxruntime-node's intra-op threads per session (default: its own, one per core). */
  intraOpNumThreads?: number;
}

/** The agent's backends in order of preference; constructing them loads nothing. */
export function createBackends(opts: DefaultBackendOptions): Backend[] {
  return [
    new OnnxruntimeNodeBackend({
      accelerators: opts.accelerators,
      log: opts.log,
      intraOpNumThreads: opts.intraOpNumThreads,
    }),
    new OnnxruntimeWebBackend({ log: opts.log }),
    new OpenvinoBackend(opts),
    new TfliteBackend(opts),
  ];
}

/** Names of the backends that load here, e.g. for facts.backends. */
export async function availableBackends(backends: readonly Backend[]): Promise<string[]> {
  const described = await Promise.all(backends.map((b) => b.describe()));
  return described.filter((d) => d.available).map((d) => d.name);
}
