import { describe, expect, it } from 'vitest';
import { type BenchResult, mergeMarkdown, renderMarkdown } from './lib.ts';

const result = (title: string, value: number): BenchResult => ({
  title,
  command: 'npm run bench',
  measurements: [{ name: 'thing', unit: 'ms', runs: [value] }],
});

describe('mergeMarkdown', () => {
  it('replaces re-measured sections in place, appends new ones, keeps the rest and says what changed', () => {
    const full = renderMarkdown([result('A', 1), result('B', 2), result('C', 3)], new Date('2026-11-26T18:00:00Z'));
    const partial = renderMarkdown([result('B', 20), result('D', 40)], new Date('2026-11-26T21:00:00Z'));
    const merged = mergeMarkdown(full, partial, 'npm run bench -- --only B,D');
    const titles = merged.split('\n').filter((l) => l.startsWith('## '));
    expect(titles).toEqual(['## A', '## B', '## C', '## D']);
    expect(merged).toContain('| thing | 1.00 ms | 1.00 |');
    expect(merged).toContain('| thing | 20.0 ms | 20.0 |');
    expect(merged).not.toContain('| thing | 2.00 ms |');
    expect(merged).toContain('Written by `npm run bench` on 2026-11-26 18:00 UTC.');
    expect(merged).toContain('Re-measured on 2026-11-26 21:00 UTC by `npm run bench -- --only B,D`: "B", "D".');
    // A second partial run replaces the note rather than stacking another.
    const again = mergeMarkdown(merged, partial, 'npm run bench -- --only B,D');
    expect(again.match(/Re-measured on/g)).toHaveLength(1);
    expect(again).toBe(merged);
  });
});
