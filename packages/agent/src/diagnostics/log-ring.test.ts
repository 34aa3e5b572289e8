import { describe, expect, it } from 'vitest';
import { LogRing } from './log-ring.ts';

const clock = { now: () => new Date('2030-01-01T00:00:00.000Z') };

describe('LogRing', () => {
  it('keeps the last lines, stamped, oldest first, and still passes every line on', () => {
    const ring = new LogRing(clock, { lines: 3, errors: 2 });
    const seen: string[] = [];
    const log = ring.wrap((l) => seen.push(l));
    for (let i = 0; i < 5; i++) log(`line ${i}`);
    expect(seen).toHaveLength(5);
    expect(ring.lines()).toEqual(['line 2', 'line 3', 'line 4'].map((l) => `2030-01-01T00:00:00.000Z ${l}`));
  });

  it('keeps errors apart, so chatter does not push them out', () => {
    const ring = new LogRing(clock, { lines: 2, errors: 2 });
    ring.add('connected');
    ring.add('state report not delivered (the next connect sends a fresh one): timeout');
    ring.add('cannot connect to mqtts://gw:8883: refused; reconnecting in 1 s');
    ring.add('model install failed: hash mismatch');
    for (let i = 0; i < 10; i++) ring.add(`heartbeat ${i}`);
    expect(ring.errors().map((e) => e.message)).toEqual([
      'cannot connect to mqtts://gw:8883: refused; reconnecting in 1 s',
      'model install failed: hash mismatch',
    ]);
    expect(ring.lines()).toHaveLength(2);
  });

  it('cuts very long lines', () => {
    const ring = new LogRing(clock);
    ring.add('x'.repeat(10_000));
    expect(ring.lines()[0]?.length).toBeLessThan(2100);
  });
});
