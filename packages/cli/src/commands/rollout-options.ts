import type { TCreateRollout, TPhase, TShadowPlan } from '@edgefleet/protocol/rollout';
import { InvalidArgumentError } from 'commander';
import { CliError } from '../context.ts';
import { parseDurationSeconds } from './parse.ts';

/** `5%` or `5` into 5; between 0 and 100. */
export function parsePercent(value: string): number {
  const n = Number(value.trim().replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError(`"${value}" is not a percentage between 0 and 100`);
  }
  return n;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0`);
  return n;
}

/** One share of the devices: `10` or `10%` is a percentage, `5#` a number of devices. */
function parseShare(value: string): { percent: number } | { count: number } {
  const v = value.trim();
  if (v.endsWith('#')) {
    const count = Number(v.slice(0, -1));
    if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`"${v}" is not a device count like 5#`);
    return { count };
  }
  const percent = Number(v.replace(/%$/, ''));
  if (v === '' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new InvalidArgumentError(`"${v}" is not a percentage above 0 and up to 100, or a device count like 5#`);
  }
  return { percent };
}

/** `--phases 5#,10,50,100`: cumulative shares; percentages rise, and so do counts. */
export function parsePhases(value: string): Array<{ percent: number } | { count: number }> {
  const shares = value.split(',').map(parseShare);
  if (shares.length > 20) throw new InvalidArgumentError('at most 20 phases');
  let lastPercent = 0;
  let lastCount = 0;
  for (const s of shares) {
    if ('percent' in s) {
      if (s.percent <= lastPercent) throw new InvalidArgumentError(`phases must grow: ${value}`);
      lastPercent = s.percent;
    } else {
      if (s.count <= lastCount) throw new InvalidArgumentError(`phases must grow: ${value}`);
      lastCount = s.count;
    }
  }
  return shares;
}

/** `--shadow 10%:30m` or `--shadow 5#:1h`: the cohort and how long it runs the candidate in shadow. */
export function parseShadow(value: string): {
  share: { percent: number } | { count: number };
  durationSeconds: number;
} {
  const at = value.lastIndexOf(':');
  if (at <= 0) throw new InvalidArgumentError(`"${value}" is not SHARE:DURATION, e.g. 10%:30m or 5#:1h`);
  const durationSeconds = parseDurationSeconds(value.slice(at + 1));
  if (durationSeconds < 1) throw new InvalidArgumentError('the shadow phase must last at least a second');
  return { share: parseShare(value.slice(0, at)), durationSeconds };
}

/** `--window 22:00-04:00` (UTC; an end before the start spans midnight). */
export function parseWindow(value: string): { start: string; end: string } {
  const m = /^(([01]\d|2[0-3]):[0-5]\d)-(([01]\d|2[0-3]):[0-5]\d)$/.exec(value.trim());
  if (!m?.[1] || !m[3]) throw new InvalidArgumentError(`"${value}" is not a UTC window like 22:00-04:00`);
  return { start: m[1], end: m[3] };
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `--window-days mon-fri` or `sat,sun` into 0 (Sunday) … 6. */
export function parseDays(value: string): number[] {
  const day = (d: string) => {
    const i = DAY_NAMES.indexOf(d.trim().toLowerCase().slice(0, 3));
    if (i < 0) throw new InvalidArgumentError(`"${d}" is not a day (sun, mon, … sat)`);
    return i;
  };
  const out = new Set<number>();
  for (const part of value.split(',')) {
    const [from, to] = part.split('-');
    if (to === undefined) out.add(day(from ?? ''));
    else
      for (let i = day(from ?? ''); ; i = (i + 1) % 7) {
        out.add(i);
        if (i === day(to)) break;
      }
  }
  return [...out].sort((a, b) => a - b);
}

/** `--exponential 5x2`: 5 devices in the first minute, twice as many each minute the gates hold. */
export function parseExponential(value: string): { startPerMinute: number; factor: number } {
  const m = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(value.trim());
  const startPerMinute = Number(m?.[1]);
  const factor = Number(m?.[2]);
  if (!m || startPerMinute < 1 || factor < 1) {
    throw new InvalidArgumentError(`"${value}" is not START x FACTOR, e.g. 5x2`);
  }
  return { startPerMinute, factor };
}

export interface CreateOptions {
  model: string;
  version: string;
  group?: string;
  tag?: Record<string, string>;
  device?: string[];
  all?: boolean;
  phases?: Array<{ percent: number } | { count: number }>;
  exponential?: { startPerMinute: number; factor: number };
  soak?: number;
  maxFailure?: number;
  minSuccesses?: number;
  maxErrorRate?: number;
  maxP95Regression?: number;
  maxRestarts?: number;
  onFailure?: 'pause' | 'rollback';
  maxConcurrent?: number;
  window?: { start: string; end: string };
  windowDays?: number[];
  shadow?: { share: { percent: number } | { count: number }; durationSeconds: number };
  shadowSample?: number;
  minAgreement?: number;
  timeout?: number;
  retries?: number;
  healthCheck?: number;
  force?: boolean;
}

/** A usage mistake found after parsing: one line, exit code 2 like Commander's own. */
const usage = (message: string) => new CliError(message, 2);

/** The flags of `rollouts create` as the API's TCreateRollout; usage mistakes throw a one-line message. */
export function createInput(o: CreateOptions): TCreateRollout {
  const selectors = [o.group !== undefined, o.tag !== undefined, o.device !== undefined, Boolean(o.all)];
  if (selectors.filter(Boolean).length !== 1) {
    throw usage('choose the devices with exactly one of --group, --tag, --device or --all');
  }
  const selector: TCreateRollout['selector'] =
    o.group !== undefined
      ? { kind: 'group', group: o.group }
      : o.tag
        ? { kind: 'tags', tags: o.tag }
        : o.device
          ? { kind: 'devices', deviceIds: o.device.flatMap((d) => d.split(',')).filter(Boolean) }
          : { kind: 'all' };
  if (o.phases && o.exponential) throw usage('--phases and --exponential exclude each other');
  if (o.soak !== undefined && !o.phases) throw usage('--soak needs --phases');
  if (o.shadowSample !== undefined && !o.shadow) throw usage('--shadow-sample needs --shadow');
  if (o.minAgreement !== undefined && !o.shadow) throw usage('--min-agreement needs --shadow');
  if (o.windowDays && !o.window) throw usage('--window-days needs --window');
  const soakSeconds = o.soak ?? 0;
  const strategy: TCreateRollout['strategy'] = o.phases
    ? { kind: 'phases', phases: o.phases.map((share): TPhase => ({ ...share, soakSeconds })) }
    : o.exponential
      ? { kind: 'exponential', ...o.exponential }
      : { kind: 'all' };
  const shadow: TShadowPlan | undefined = o.shadow
    ? { ...o.shadow.share, durationSeconds: o.shadow.durationSeconds, samplePercent: o.shadowSample ?? 100 }
    : undefined;
  const gates = {
    maxFailurePercent: o.maxFailure ?? 5,
    minSuccesses: o.minSuccesses ?? 0,
    ...(o.maxErrorRate !== undefined ? { maxErrorRatePercent: o.maxErrorRate } : {}),
    ...(o.maxP95Regression !== undefined ? { maxP95RegressionPercent: o.maxP95Regression } : {}),
    ...(o.maxRestarts !== undefined ? { maxRestarts: o.maxRestarts } : {}),
    ...(o.minAgreement !== undefined ? { minAgreementPercent: o.minAgreement } : {}),
  };
  return {
    model: o.model,
    version: o.version,
    selector,
    strategy,
    gates,
    ...(o.onFailure ? { onFailure: o.onFailure } : {}),
    ...(o.maxConcurrent !== undefined ? { maxConcurrent: o.maxConcurrent } : {}),
    ...(o.window ? { window: { ...o.window, ...(o.windowDays ? { days: o.windowDays } : {}) } } : {}),
    ...(shadow ? { shadow } : {}),
    ...(o.timeout !== undefined ? { stepTimeoutSeconds: o.timeout } : {}),
    ...(o.retries !== undefined ? { maxRetries: o.retries } : {}),
    ...(o.healthCheck !== undefined ? { healthCheckSeconds: o.healthCheck } : {}),
    ...(o.force ? { force: true } : {}),
  };
}
