import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import type { Session } from './backend.ts';
import {
  DTYPES,
  decodeTensorData,
  elementCount,
  formatShape,
  isDtype,
  isFloat,
  type Tensor,
  type TensorSpec,
  valuesOf,
} from './tensor.ts';

export type SmokeTest = NonNullable<TModelTargetCustom['smokeTest']>;

export interface SmokeResult {
  ok: boolean;
  /** Why it failed; on success, a note when there was no smoke test to run. */
  reason?: string;
  latencyMs: number;
}

export interface SmokeOptions {
  /** Slowest acceptable inference, first call included (default 5 s). */
  budgetMs?: number;
  now?: () => number;
}

export const DEFAULT_SMOKE_BUDGET_MS = 5000;

/** Inputs of zeros, free dimensions set to 1: what runs when an artifact carries no smoke test. */
function zeros(inputs: readonly TensorSpec[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const spec of inputs) {
    if (!isDtype(spec.dtype)) throw new Error(`input "${spec.name}" has type ${spec.dtype}, which cannot be made up`);
    const shape = spec.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    feeds[spec.name] = { dtype: spec.dtype, shape, data: new DTYPES[spec.dtype].array(elementCount(shape)) };
  }
  return feeds;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Runs an artifact's smoke test on a loaded session: feeds its input, requires every expected
 * output within the (absolute) tolerance, no NaN or Infinity in any float output, and the
 * inference inside the latency budget. Without a smoke test it feeds zeros and checks only the
 * last two. Never throws: every failure is a `reason`.
 */
export async function runSmokeTest(
  session: Session,
  smoke: SmokeTest | undefined,
  opts: SmokeOptions = {},
): Promise<SmokeResult> {
  const { budgetMs = DEFAULT_SMOKE_BUDGET_MS, now = () => performance.now() } = opts;
  const fail = (reason: string, latencyMs = 0): SmokeResult => ({ ok: false, reason, latencyMs: round(latencyMs) });

  let feeds: Record<string, Tensor>;
  let expected: [string, Tensor][] = [];
  const tolerance = smoke ? Number(smoke.tolerance) : 0;
  try {
    if (smoke) {
      if (!(tolerance >= 0)) return fail(`tolerance "${smoke.tolerance}" is not a non-negative number`);
      feeds = Object.fromEntries(Object.entries(smoke.input).map(([n, t]) => [n, decodeAs(`input "${n}"`, t)]));
      expected = Object.entries(smoke.expectedOutput).map(([n, t]) => [n, decodeAs(`expected output "${n}"`, t)]);
    } else {
      feeds = zeros(session.inputs);
    }
  } catch (e) {
    const what = smoke ? 'the smoke test is malformed' : 'there is no smoke test and zeros cannot be fed';
    return fail(`${what}: ${(e as Error).message}`);
  }

  const started = now();
  let outputs: Record<string, Tensor>;
  try {
    outputs = await session.infer(feeds);
  } catch (e) {
    return fail(`inference failed: ${(e as Error).message}`, now() - started);
  }
  const latencyMs = now() - started;

  for (const [name, t] of Object.entries(outputs)) {
    if (!isFloat(t.dtype)) continue;
    const values = valuesOf(t);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return fail(`output "${name}" holds ${values[bad]} at index ${bad}`, latencyMs);
  }
  for (const [name, want] of expected) {
    const got = outputs[name];
    if (!got) return fail(`the model has no output "${name}" (it has ${Object.keys(outputs).join(', ')})`, latencyMs);
    if (formatShape(got.shape) !== formatShape(want.shape)) {
      return fail(
        `output "${name}" has shape ${formatShape(got.shape)}, expected ${formatShape(want.shape)}`,
        latencyMs,
      );
    }
    const a = valuesOf(got);
    const b = valuesOf(want);
    let worst = -1;
    let worstDiff = -1;
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs((a[i] as number) - (b[i] as number));
      const d = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff; // an expected NaN is never matched
      if (d > tolerance && d > worstDiff) {
        worst = i;
        worstDiff = d;
      }
    }
    if (worst >= 0) {
      return fail(
        `output "${name}" is ${a[worst]} at index ${worst}, expected ${b[worst]} ` +
          `(off by ${worstDiff}, tolerance ${smoke?.tolerance})`,
        latencyMs,
      );
    }
  }
  if (latencyMs > budgetMs) {
    return fail(`inference took ${round(latencyMs)} ms, over the ${budgetMs} ms budget`, latencyMs);
  }
  return {
    ok: true,
    latencyMs: round(latencyMs),
    ...(smoke ? {} : { reason: 'the artifact has no smoke test: ran zeros through it' }),
  };
}

function decodeAs(what: string, t: SmokeTest['input'][string]): Tensor {
  try {
    return decodeTensorData(t);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}
