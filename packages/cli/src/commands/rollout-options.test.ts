import { ZCreateRollout } from '@edgefleet/protocol/rollout';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../context.ts';
import { buildProgram } from '../main.ts';
import { parseDurationSeconds } from './parse.ts';
import {
  createInput,
  parseDays,
  parseExponential,
  parsePercent,
  parsePhases,
  parseShadow,
  parseWindow,
} from './rollout-options.ts';
import { duration, progressBar } from './rollout-view.ts';

describe('rollout flags', () => {
  it('reads durations with a unit, percentages, phases, shadow plans, windows and paces', () => {
    expect([
      parseDurationSeconds('90s'),
      parseDurationSeconds('10m'),
      parseDurationSeconds('2h'),
      parseDurationSeconds('1d'),
    ]).toEqual([90, 600, 7200, 86_400]);
    expect(parsePercent('5%')).toBe(5);
    expect(parsePercent('0.5')).toBe(0.5);
    expect(parsePhases('5#,10,50%,100')).toEqual([{ count: 5 }, { percent: 10 }, { percent: 50 }, { percent: 100 }]);
    expect(parseShadow('10%:30m')).toEqual({ share: { percent: 10 }, durationSeconds: 1800 });
    expect(parseShadow('3#:1h')).toEqual({ share: { count: 3 }, durationSeconds: 3600 });
    expect(parseWindow('22:00-04:00')).toEqual({ start: '22:00', end: '04:00' });
    expect(parseDays('mon-fri')).toEqual([1, 2, 3, 4, 5]);
    expect(parseDays('fri-mon')).toEqual([0, 1, 5, 6]);
    expect(parseDays('sat,sun')).toEqual([0, 6]);
    expect(parseExponential('5x2')).toEqual({ startPerMinute: 5, factor: 2 });
  });

  it('refuses what it cannot read', () => {
    const bad: Array<[(v: string) => unknown, string]> = [
      [parseDurationSeconds, '10'],
      [parseDurationSeconds, '1w'],
      [parsePercent, '101%'],
      [parsePercent, ''],
      [parsePhases, '50,10'],
      [parsePhases, '0'],
      [parsePhases, '1.5#'],
      [parseShadow, '10%'],
      [parseShadow, '10%:0s'],
      [parseWindow, '25:00-01:00'],
      [parseDays, 'someday'],
      [parseExponential, '0x2'],
    ];
    for (const [parse, value] of bad) expect(() => parse(value), value).toThrow(InvalidArgumentError);
  });

  it('builds a TCreateRollout the API accepts', () => {
    const input = createInput({
      model: 'detector',
      version: '1.3.0',
      tag: { site: 'berlin' },
      phases: parsePhases('5#,50,100'),
      soak: 600,
      maxFailure: 2,
      onFailure: 'rollback',
      window: parseWindow('22:00-04:00'),
      windowDays: [1, 2],
      shadow: parseShadow('10%:30m'),
      minAgreement: 98,
      timeout: 900,
      retries: 1,
      force: true,
    });
    expect(ZCreateRollout.parse(input)).toMatchObject({
      selector: { kind: 'tags', tags: { site: 'berlin' } },
      strategy: {
        kind: 'phases',
        phases: [
          { count: 5, soakSeconds: 600 },
          { percent: 50, soakSeconds: 600 },
          { percent: 100, soakSeconds: 600 },
        ],
      },
      gates: { maxFailurePercent: 2, minSuccesses: 0, minAgreementPercent: 98 },
      onFailure: 'rollback',
      window: { start: '22:00', end: '04:00', days: [1, 2] },
      shadow: { percent: 10, durationSeconds: 1800, samplePercent: 100 },
      stepTimeoutSeconds: 900,
      maxRetries: 1,
      force: true,
    });
    expect(createInput({ model: 'm', version: '1.0.0', device: ['a,b', 'c'] }).selector).toEqual({
      kind: 'devices',
      deviceIds: ['a', 'b', 'c'],
    });
    expect(createInput({ model: 'm', version: '1.0.0', all: true }).strategy).toEqual({ kind: 'all' });
  });

  it('refuses contradictory flags as usage errors (exit 2)', () => {
    const base = { model: 'm', version: '1.0.0' };
    for (const o of [
      base,
      { ...base, all: true, group: 'lab' },
      { ...base, all: true, soak: 60 },
      { ...base, all: true, phases: parsePhases('100'), exponential: parseExponential('1x2') },
      { ...base, all: true, minAgreement: 90 },
      { ...base, all: true, windowDays: [1] },
    ]) {
      expect(() => createInput(o)).toThrow(CliError);
      try {
        createInput(o);
      } catch (e) {
        expect((e as CliError).exitCode).toBe(2);
      }
    }
  });

  it('draws progress bars', () => {
    expect(progressBar(0, 4)).toBe('[....................]   0%');
    expect(progressBar(1, 4, 8)).toBe('[##......]  25%');
    expect(progressBar(0, 0, 4)).toBe('[####] 100%');
    expect([duration(45), duration(720), duration(3 * 3600 + 300), duration(2 * 86_400 + 4 * 3600)]).toEqual([
      '45s',
      '12m',
      '3h 5m',
      '2d 4h',
    ]);
  });

  it('gives every rollouts and pins command a description and help', () => {
    const program = buildProgram(['node', 'edgefleet', 'rollouts']);
    for (const name of ['rollouts', 'pins']) {
      const group = program.commands.find((c) => c.name() === name);
      expect(group?.description()).toBeTruthy();
      const subs = group?.commands ?? [];
      expect(subs.map((c) => c.name()).sort()).toEqual(
        name === 'rollouts'
          ? ['abort', 'create', 'list', 'pause', 'resume', 'rollback', 'status']
          : ['list', 'rm', 'set'],
      );
      for (const c of subs) {
        expect(c.description(), `${name} ${c.name()}`).toBeTruthy();
        expect(c.helpInformation()).toMatch(/Usage: edgefleet \w+ \w+/);
      }
    }
  });
});
