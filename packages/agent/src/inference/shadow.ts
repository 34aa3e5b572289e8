import type { TShadowStats } from '@edgefleet/protocol/rollout';
import { LatencyHistogram } from './stats.ts';
import { formatShape, isFloat, type Tensor, valuesOf } from './tensor.ts';

/** Largest mean absolute difference at which a non-classifier output still agrees. */
export const AGREEMENT_MAD = 1e-4;

export interface Comparison {
  agree: boolean;
  /** Mean absolute difference over the non-classifier float outputs, when there are any. */
  meanAbsDiff?: number;
}

function argmaxRows(values: Float64Array, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < values.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++)
      if ((values[r * width + c] as number) > (values[r * width + best] as number)) best = c;
    rows.push(best);
  }
  return rows;
}

/**
 * Whether the candidate answered like the serving model. Per output: float outputs whose last
 * dimension is > 1 look like class scores and agree when every row picks the same class;
 * other float outputs agree when their mean absolute difference is ≤ AGREEMENT_MAD; integer
 * and bool outputs must be equal. All outputs must agree, with the same names and shapes.
 */
export function compareOutputs(serving: Record<string, Tensor>, candidate: Record<string, Tensor>): Comparison {
  let agree = true;
  let diffSum = 0;
  let diffCount = 0;
  for (const [name, s] of Object.entries(serving)) {
    const c = candidate[name];
    if (!c || formatShape(c.shape) !== formatShape(s.shape)) {
      agree = false;
      continue;
    }
    const a = valuesOf(s);
    const b = valuesOf(c);
    const width = s.shape.at(-1) ?? 1;
    if (!isFloat(s.dtype)) {
      agree &&= a.every((v, i) => v === b[i]);
    } else if (width > 1) {
      const x = argmaxRows(a, width);
      const y = argmaxRows(b, width);
      agree &&= x.every((v, i) => v === y[i]);
    } else {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
      const mad = a.length ? sum / a.length : 0;
      agree &&= mad <= AGREEMENT_MAD; // NaN never agrees
      diffSum += sum;
      diffCount += a.length;
    }
  }
  return { agree, ...(diffCount > 0 ? { meanAbsDiff: diffSum / diffCount } : {}) };
}

/** What a shadow candidate has done since it was set: every sampled request counts once. */
export class ShadowTally {
  samples = 0;
  agreements = 0;
  errors = 0;
  private diffSum = 0;
  private diffSamples = 0;
  readonly candidate = new LatencyHistogram();
  readonly serving = new LatencyHistogram();

  constructor(readonly version: string) {}

  /** A candidate error counts as a sample that disagreed. */
  record(servingMs: number, outcome: { error: true } | { error?: false; ms: number; comparison: Comparison }): void {
    this.samples++;
    this.serving.record(servingMs);
    if (outcome.error) {
      this.errors++;
      return;
    }
    this.candidate.record(outcome.ms);
    if (outcome.comparison.agree) this.agreements++;
    if (outcome.comparison.meanAbsDiff !== undefined && Number.isFinite(outcome.comparison.meanAbsDiff)) {
      this.diffSum += outcome.comparison.meanAbsDiff;
      this.diffSamples++;
    }
  }

  /** undefined until a sample exists: no evidence is not 0 % agreement. */
  stats(): TShadowStats | undefined {
    if (this.samples === 0) return undefined;
    const candidateP95 = this.candidate.quantile(0.95);
    const servingP95 = this.serving.quantile(0.95);
    return {
      version: this.version,
      samples: this.samples,
      agreement: this.agreements / this.samples,
      ...(this.diffSamples > 0 ? { meanAbsDiff: this.diffSum / this.diffSamples } : {}),
      ...(candidateP95 === undefined ? {} : { candidateP95Ms: candidateP95 }),
      ...(servingP95 === undefined ? {} : { servingP95Ms: servingP95 }),
      errors: this.errors,
    };
  }
}
