import { describe, expect, it } from 'vitest';
import { InferenceWindows } from './inference-windows.ts';

describe('InferenceWindows', () => {
  it('counts per version since the last take, then starts over', () => {
    const w = new InferenceWindows();
    w.record('m', '1.0.0', 3, true);
    w.record('m', '1.0.0', 30, true);
    w.record('m', '1.0.0', 5000, false);
    w.record('m', '2.0.0', 0.05, true);
    const [first, second] = w.take();
    expect(first).toMatchObject({ model: 'm', version: '1.0.0', requests: 3, errors: 1, latencySumMs: 33 });
    expect(first?.latencyCounts[5]).toBe(1); // ≤ 5 ms
    expect(first?.latencyCounts[8]).toBe(1); // ≤ 50 ms
    expect(first?.latencyCounts.reduce((a, b) => a + b)).toBe(2);
    expect(second).toMatchObject({ version: '2.0.0', requests: 1 });
    expect(second?.latencyCounts[0]).toBe(1);
    expect(w.take()).toEqual([]);
  });
});
