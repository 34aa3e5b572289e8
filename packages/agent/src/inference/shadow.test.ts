import { describe, expect, it } from 'vitest';
import { compareOutputs, ShadowTally } from './shadow.ts';
import { tensor } from './tensor.ts';

const scores = (values: number[], rows = 2) => ({ scores: tensor('float32', [rows, values.length / rows], values) });

describe('compareOutputs', () => {
  it('class scores agree when every row picks the same class, however different the scores', () => {
    expect(compareOutputs(scores([0.1, 0.9, 0.7, 0.3]), scores([0.4, 0.6, 0.99, 0.01]))).toEqual({ agree: true });
    expect(compareOutputs(scores([0.1, 0.9, 0.7, 0.3]), scores([0.4, 0.6, 0.2, 0.8]))).toEqual({ agree: false });
  });

  it('other outputs agree within a mean absolute difference of 1e-4', () => {
    const a = { y: tensor('float32', [3, 1], [1, 2, 3]) };
    expect(compareOutputs(a, { y: tensor('float32', [3, 1], [1.00005, 2, 3.0001]) }).agree).toBe(true);
    const far = compareOutputs(a, { y: tensor('float32', [3, 1], [1.3, 2, 3]) });
    expect(far.agree).toBe(false);
    expect(far.meanAbsDiff).toBeCloseTo(0.1, 5);
    expect(compareOutputs(a, { y: tensor('float32', [3, 1], [Number.NaN, 2, 3]) }).agree).toBe(false);
  });

  it('integer outputs must be equal; missing or reshaped outputs disagree', () => {
    const labels = { label: tensor('int64', [3], [1, 2, 3]) };
    expect(compareOutputs(labels, { label: tensor('int64', [3], [1, 2, 3]) }).agree).toBe(true);
    expect(compareOutputs(labels, { label: tensor('int64', [3], [1, 2, 4]) }).agree).toBe(false);
    expect(compareOutputs(scores([1, 2, 3, 4]), {}).agree).toBe(false);
    expect(compareOutputs(scores([1, 2, 3, 4]), scores([1, 2, 3, 4], 1)).agree).toBe(false);
  });
});

describe('ShadowTally', () => {
  it('counts errors as disagreeing samples and says nothing without samples', () => {
    const t = new ShadowTally('2.0.0');
    expect(t.stats()).toBeUndefined();
    t.record(1, { ms: 2, comparison: { agree: true } });
    t.record(1, { ms: 3, comparison: { agree: false, meanAbsDiff: 0.5 } });
    t.record(1, { error: true });
    t.record(1, { ms: 2, comparison: { agree: true, meanAbsDiff: 0.1 } });
    expect(t.stats()).toEqual({
      version: '2.0.0',
      samples: 4,
      agreement: 0.5,
      meanAbsDiff: 0.3,
      candidateP95Ms: 3,
      servingP95Ms: 1,
      errors: 1,
    });
  });
});
