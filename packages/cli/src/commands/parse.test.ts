import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ago, collectTag, parseDurationHours, parsePositiveInt } from './parse.ts';

describe('CLI argument parsing', () => {
  it('reads durations in minutes, hours, days and weeks', () => {
    expect(parseDurationHours('30m')).toBe(0.5);
    expect(parseDurationHours('24h')).toBe(24);
    expect(parseDurationHours('7d')).toBe(168);
    expect(parseDurationHours('2w')).toBe(336);
    expect(parseDurationHours('12')).toBe(12);
  });

  it('refuses durations it cannot read', () => {
    for (const bad of ['', '0h', '-1d', '1y', 'soon', '1.2.3h']) {
      expect(() => parseDurationHours(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('collects key=value tags, keeping "=" inside values', () => {
    const tags = ['site=lab', 'rack=a=1', 'site=edge'].reduce<Record<string, string>>((a, t) => collectTag(t, a), {});
    expect(tags).toEqual({ site: 'edge', rack: 'a=1' });
    expect(() => collectTag('novalue')).toThrow(/not key=value/);
    expect(() => collectTag('=x')).toThrow(/not key=value/);
  });

  it('accepts only whole positive counts', () => {
    expect(parsePositiveInt('5')).toBe(5);
    expect(() => parsePositiveInt('0')).toThrow();
    expect(() => parsePositiveInt('2.5')).toThrow();
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(ago(null, now)).toBe('never');
    expect(ago(new Date(now - 3 * 60_000), now)).toBe('3 min ago');
    expect(ago(new Date(now - 5 * 3_600_000), now)).toBe('5 h ago');
  });
});
