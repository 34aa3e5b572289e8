import { ROLLOUT_DEVICE_STATES, type TRolloutDeviceMetrics, ZRolloutGates } from '@edgefleet/protocol/rollout';
import { describe, expect, it } from 'vitest';
import {
  evaluateGates,
  evaluateShadowGates,
  exponentialAllowance,
  inMaintenanceWindow,
  phasePlan,
  readGates,
  type StateCounts,
  shadowCohortSize,
} from './gates.ts';

const counts = (c: Partial<StateCounts>): StateCounts => ({
  ...(Object.fromEntries(ROLLOUT_DEVICE_STATES.map((s) => [s, 0])) as StateCounts),
  ...c,
});
const gates = (g: Record<string, unknown> = {}) => ZRolloutGates.parse(g);
const stats = (version: string, requests: number, errors: number, p95Ms?: number) => ({
  version,
  requests,
  errors,
  ...(p95Ms !== undefined ? { p95Ms } : {}),
});
const shadow = (agreement: number, samples = 100, extra: Record<string, number> = {}) => ({
  shadow: { version: '2.0.0', samples, agreement, errors: 0, ...extra },
});

describe('evaluateGates', () => {
  it('trips the failure gate above its share of finished devices, not at it', () => {
    expect(evaluateGates(gates({ maxFailurePercent: 10 }), counts({ succeeded: 9, failed: 1 }), [])).toEqual({
      ok: true,
    });
    const tripped = evaluateGates(
      gates({ maxFailurePercent: 10 }),
      counts({ succeeded: 8, failed: 1, timed_out: 1 }),
      [],
    );
    expect(tripped).toMatchObject({ ok: false, gate: 'maxFailurePercent' });
    expect(tripped.ok || tripped.reason).toContain('2 of 10');
    // Devices still installing or queued are not finished: they do not dilute the rate.
    expect(evaluateGates(gates(), counts({ failed: 1, queued: 100, installing: 50 }), [])).toMatchObject({ ok: false });
    expect(evaluateGates(gates(), counts({ queued: 100 }), [])).toEqual({ ok: true });
  });

  it('counts only failures after the ones a resume accepted', () => {
    const c = counts({ succeeded: 10, failed: 3 });
    expect(evaluateGates(gates(), c, [])).toMatchObject({ ok: false });
    expect(evaluateGates({ ...gates(), acceptedFailures: 3 }, c, [])).toEqual({ ok: true });
    expect(evaluateGates({ ...gates(), acceptedFailures: 3 }, counts({ succeeded: 10, failed: 4 }), [])).toMatchObject({
      ok: false,
    });
  });

  it('sums the new version’s inference errors over devices', () => {
    const metrics: TRolloutDeviceMetrics[] = [
      { candidate: stats('2.0.0', 1000, 10) },
      { candidate: stats('2.0.0', 1000, 50) },
      {},
    ];
    expect(evaluateGates(gates({ maxErrorRatePercent: 3 }), counts({}), metrics)).toMatchObject({
      ok: true,
    });
    expect(evaluateGates(gates({ maxErrorRatePercent: 2 }), counts({}), metrics)).toMatchObject({
      ok: false,
      gate: 'maxErrorRatePercent',
    });
  });

  it('compares p95 with the previous version on the same devices', () => {
    const metrics: TRolloutDeviceMetrics[] = [
      { candidate: stats('2.0.0', 10, 0, 12), previous: stats('1.0.0', 10, 0, 10) },
      { candidate: stats('2.0.0', 10, 0, 13), previous: stats('1.0.0', 10, 0, 10) },
      // Without a previous figure a device says nothing about regression.
      { candidate: stats('2.0.0', 10, 0, 500) },
    ];
    expect(evaluateGates(gates({ maxP95RegressionPercent: 30 }), counts({}), metrics)).toEqual({ ok: true });
    expect(evaluateGates(gates({ maxP95RegressionPercent: 20 }), counts({}), metrics)).toMatchObject({
      ok: false,
      gate: 'maxP95RegressionPercent',
    });
  });

  it('sums restarts', () => {
    const metrics = [{ restarts: 2 }, { restarts: 1 }];
    expect(evaluateGates(gates({ maxRestarts: 3 }), counts({}), metrics)).toEqual({ ok: true });
    expect(evaluateGates(gates({ maxRestarts: 2 }), counts({}), metrics)).toMatchObject({ gate: 'maxRestarts' });
  });
});

describe('evaluateShadowGates', () => {
  it('passes or fails on mean agreement, and fails when nothing was sampled', () => {
    const g = gates({ minAgreementPercent: 95 });
    expect(evaluateShadowGates(g, [shadow(0.99), shadow(0.97)], '2.0.0')).toEqual({ ok: true });
    expect(evaluateShadowGates(g, [shadow(0.99), shadow(0.85)], '2.0.0')).toMatchObject({
      ok: false,
      gate: 'minAgreementPercent',
    });
    expect(evaluateShadowGates(g, [shadow(0.2, 0), {}], '2.0.0')).toMatchObject({ ok: false });
    // Figures for another candidate do not count.
    expect(evaluateShadowGates(g, [shadow(0.99)], '3.0.0')).toMatchObject({ ok: false });
    expect(evaluateShadowGates(gates(), [], '2.0.0')).toEqual({ ok: true });
  });

  it('checks the candidate’s latency and errors in shadow', () => {
    const slow = [shadow(1, 100, { candidateP95Ms: 30, servingP95Ms: 10 })];
    expect(evaluateShadowGates(gates({ maxP95RegressionPercent: 50 }), slow, '2.0.0')).toMatchObject({
      gate: 'maxP95RegressionPercent',
    });
    const failing = [shadow(1, 100, { errors: 10 })];
    expect(evaluateShadowGates(gates({ maxErrorRatePercent: 5 }), failing, '2.0.0')).toMatchObject({
      gate: 'maxErrorRatePercent',
    });
  });
});

describe('phasePlan', () => {
  it('makes cumulative targets from percents and counts, and never shrinks', () => {
    const plan = phasePlan(
      {
        kind: 'phases',
        phases: [
          { percent: 10, soakSeconds: 60 },
          { count: 3, soakSeconds: 0 },
          { percent: 50, soakSeconds: 600 },
          { percent: 100, soakSeconds: 0 },
        ],
      },
      20,
    );
    expect(plan.map((p) => [p.label, p.target, p.soakSeconds])).toEqual([
      ['10%', 2, 60],
      ['3 devices', 3, 0],
      ['50%', 10, 600],
      ['100%', 20, 0],
    ]);
    expect(
      phasePlan(
        {
          kind: 'phases',
          phases: [
            { count: 50, soakSeconds: 0 },
            { count: 5, soakSeconds: 0 },
          ],
        },
        30,
      ).map((p) => p.target),
    ).toEqual([30, 30]);
  });

  it('adds a final phase when the last stops short of every device', () => {
    expect(phasePlan({ kind: 'phases', phases: [{ percent: 10, soakSeconds: 0 }] }, 7)).toEqual([
      { index: 0, label: '10%', target: 1, soakSeconds: 0 },
      { index: 1, label: '100%', target: 7, soakSeconds: 0 },
    ]);
    expect(phasePlan({ kind: 'all' }, 7)).toHaveLength(1);
    expect(phasePlan({ kind: 'exponential', startPerMinute: 5, factor: 2 }, 7)[0]?.target).toBe(7);
  });

  it('sizes the shadow cohort among devices that serve a version', () => {
    expect(shadowCohortSize({ percent: 10 }, 100, 50)).toBe(10);
    expect(shadowCohortSize({ percent: 10 }, 100, 4)).toBe(4);
    expect(shadowCohortSize({ count: 3 }, 100, 50)).toBe(3);
  });
});

describe('exponentialAllowance', () => {
  it('admits start × factor^k in minute k', () => {
    expect(exponentialAllowance(2, 2, 0)).toBe(2);
    expect(exponentialAllowance(2, 2, 59_999)).toBe(2);
    expect(exponentialAllowance(2, 2, 60_000)).toBe(6);
    expect(exponentialAllowance(2, 2, 120_000)).toBe(14);
    expect(exponentialAllowance(5, 1, 180_000)).toBe(20);
    expect(exponentialAllowance(3, 1.5, 60_000)).toBe(7);
    expect(exponentialAllowance(1, 100, 3_600_000 * 24 * 30)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('inMaintenanceWindow', () => {
  const at = (iso: string) => new Date(iso);
  it('is always open without a window', () => {
    expect(inMaintenanceWindow(null, at('2030-01-01T12:00:00Z'))).toBe(true);
  });
  it('holds start inclusive, end exclusive, in UTC', () => {
    const w = { start: '02:00', end: '04:30' };
    expect(inMaintenanceWindow(w, at('2030-01-01T01:59:00Z'))).toBe(false);
    expect(inMaintenanceWindow(w, at('2030-01-01T02:00:00Z'))).toBe(true);
    expect(inMaintenanceWindow(w, at('2030-01-01T04:29:59Z'))).toBe(true);
    expect(inMaintenanceWindow(w, at('2030-01-01T04:30:00Z'))).toBe(false);
  });
  it('spans midnight, the small hours belonging to the day it opened', () => {
    // 2030-01-07 is a Monday (1).
    const w = { start: '22:00', end: '03:00', days: [1] };
    expect(inMaintenanceWindow(w, at('2030-01-07T23:00:00Z'))).toBe(true);
    expect(inMaintenanceWindow(w, at('2030-01-08T02:00:00Z'))).toBe(true); // Tuesday morning, Monday's window
    expect(inMaintenanceWindow(w, at('2030-01-07T02:00:00Z'))).toBe(false); // Monday morning, Sunday's window
    expect(inMaintenanceWindow(w, at('2030-01-08T22:30:00Z'))).toBe(false); // Tuesday evening
  });
});

describe('readGates', () => {
  it('fills defaults and keeps the engine’s own fields', () => {
    expect(readGates({ healthCheckSeconds: 30, acceptedFailures: 2 })).toMatchObject({
      maxFailurePercent: 5,
      minSuccesses: 0,
      healthCheckSeconds: 30,
      acceptedFailures: 2,
    });
    expect(readGates({}).healthCheckSeconds).toBe(10);
  });
});
