import {
  type TMaintenanceWindow,
  type TRolloutDeviceMetrics,
  type TRolloutDeviceState,
  type TRolloutGates,
  type TRolloutStrategy,
  type TShadowPlan,
  ZRolloutGates,
} from '@edgefleet/protocol/rollout';

/**
 * What may pass, as pure functions of the rollout's stored plan and its devices' figures: the
 * health gates, the shadow verdict, the phase targets, the exponential pace and the maintenance
 * window. The engine reads the database and acts; every decision is made here.
 */

export type StateCounts = Record<TRolloutDeviceState, number>;

/** The rollout's `gates` JSON: the protocol's gates plus what the engine keeps beside them. */
export interface StoredGates extends TRolloutGates {
  /** Seconds a new version must serve before the agent reports success (sent in the instruction). */
  healthCheckSeconds: number;
  /** Failures (failed + timed out) accepted by the operator's last resume; the failure gate counts only later ones. */
  acceptedFailures?: number;
}

export type GateVerdict = { ok: true } | { ok: false; gate: string; reason: string };

export function readGates(json: unknown): StoredGates {
  const raw = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const gates = ZRolloutGates.parse(raw);
  const whole = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  return {
    ...gates,
    healthCheckSeconds: whole(raw.healthCheckSeconds) ?? 10,
    ...(whole(raw.acceptedFailures) !== undefined ? { acceptedFailures: whole(raw.acceptedFailures) } : {}),
  };
}

/** Whether the gates read per-device figures at all (the engine skips loading them when not). */
export const gatesReadMetrics = (g: TRolloutGates) =>
  g.maxErrorRatePercent !== undefined || g.maxP95RegressionPercent !== undefined || g.maxRestarts !== undefined;

const pct = (x: number) => `${Math.round(x * 10) / 10}%`;

/**
 * The install gates, over every device of the rollout. The failure rate counts failed and timed
 * out devices among those that finished (succeeded, failed, timed out); latency compares the new
 * version's p95 with the previous version's on the same devices (ratio of sums, so one slow
 * device cannot dominate); errors and restarts are summed.
 */
export function evaluateGates(
  gates: TRolloutGates & { acceptedFailures?: number },
  counts: StateCounts,
  metrics: readonly TRolloutDeviceMetrics[],
): GateVerdict {
  const accepted = gates.acceptedFailures ?? 0;
  const failures = Math.max(0, counts.failed + counts.timed_out - accepted);
  const finished = counts.succeeded + failures;
  if (finished > 0 && (failures / finished) * 100 > gates.maxFailurePercent) {
    return {
      ok: false,
      gate: 'maxFailurePercent',
      reason: `${failures} of ${finished} finished devices failed (${pct((failures / finished) * 100)}), above the ${gates.maxFailurePercent}% gate`,
    };
  }
  if (gates.maxErrorRatePercent !== undefined) {
    let requests = 0;
    let errors = 0;
    for (const m of metrics) {
      requests += m.candidate?.requests ?? 0;
      errors += m.candidate?.errors ?? 0;
    }
    const rate = requests > 0 ? (errors / requests) * 100 : 0;
    if (rate > gates.maxErrorRatePercent) {
      return {
        ok: false,
        gate: 'maxErrorRatePercent',
        reason: `the new version failed ${errors} of ${requests} inference requests (${pct(rate)}), above the ${gates.maxErrorRatePercent}% gate`,
      };
    }
  }
  if (gates.maxP95RegressionPercent !== undefined) {
    const pairs = metrics.flatMap((m) =>
      m.candidate?.p95Ms !== undefined && m.previous?.p95Ms !== undefined && m.previous.p95Ms > 0
        ? [[m.candidate.p95Ms, m.previous.p95Ms] as const]
        : [],
    );
    const regression = latencyRegression(pairs);
    if (regression !== null && regression > gates.maxP95RegressionPercent) {
      return {
        ok: false,
        gate: 'maxP95RegressionPercent',
        reason: `p95 latency is ${pct(regression)} worse than the previous version on ${pairs.length} devices, above the ${gates.maxP95RegressionPercent}% gate`,
      };
    }
  }
  if (gates.maxRestarts !== undefined) {
    const restarts = metrics.reduce((n, m) => n + (m.restarts ?? 0), 0);
    if (restarts > gates.maxRestarts) {
      return {
        ok: false,
        gate: 'maxRestarts',
        reason: `${restarts} agent restarts after the switch, above the gate of ${gates.maxRestarts}`,
      };
    }
  }
  return { ok: true };
}

function latencyRegression(pairs: ReadonlyArray<readonly [number, number]>): number | null {
  let candidate = 0;
  let previous = 0;
  for (const [c, p] of pairs) {
    candidate += c;
    previous += p;
  }
  return previous > 0 ? (candidate / previous - 1) * 100 : null;
}

export interface ShadowSummary {
  /** Cohort devices that reported shadow samples for the candidate. */
  devices: number;
  samples: number;
  /** Mean agreement over those devices, percent; null when none reported. */
  agreementPercent: number | null;
}

export function summariseShadow(metrics: readonly TRolloutDeviceMetrics[], version?: string): ShadowSummary {
  const reporting = metrics.flatMap((m) =>
    m.shadow && m.shadow.samples > 0 && (!version || m.shadow.version === version) ? [m.shadow] : [],
  );
  const samples = reporting.reduce((n, s) => n + s.samples, 0);
  const agreement = reporting.length ? (reporting.reduce((n, s) => n + s.agreement, 0) / reporting.length) * 100 : null;
  return { devices: reporting.length, samples, agreementPercent: agreement };
}

/**
 * The shadow verdict over the cohort's reports for the candidate `version`: mean agreement against
 * minAgreementPercent (no report at all fails it: nothing was shown to agree), the candidate's p95
 * against the serving model's, and the candidate's error share of its samples.
 */
export function evaluateShadowGates(
  gates: TRolloutGates,
  metrics: readonly TRolloutDeviceMetrics[],
  version?: string,
): GateVerdict {
  const shadows = metrics.flatMap((m) =>
    m.shadow && m.shadow.samples > 0 && (!version || m.shadow.version === version) ? [m.shadow] : [],
  );
  const summary = summariseShadow(metrics, version);
  if (gates.minAgreementPercent !== undefined) {
    if (summary.agreementPercent === null) {
      return {
        ok: false,
        gate: 'minAgreementPercent',
        reason: 'no device of the shadow cohort reported shadow samples',
      };
    }
    if (summary.agreementPercent < gates.minAgreementPercent) {
      return {
        ok: false,
        gate: 'minAgreementPercent',
        reason: `the candidate agreed with the serving model on ${pct(summary.agreementPercent)} of samples (${summary.devices} devices), below the ${gates.minAgreementPercent}% gate`,
      };
    }
  }
  if (gates.maxP95RegressionPercent !== undefined) {
    const pairs = shadows.flatMap((s) =>
      s.candidateP95Ms !== undefined && s.servingP95Ms !== undefined && s.servingP95Ms > 0
        ? [[s.candidateP95Ms, s.servingP95Ms] as const]
        : [],
    );
    const regression = latencyRegression(pairs);
    if (regression !== null && regression > gates.maxP95RegressionPercent) {
      return {
        ok: false,
        gate: 'maxP95RegressionPercent',
        reason: `in shadow, the candidate's p95 latency is ${pct(regression)} worse than the serving model's, above the ${gates.maxP95RegressionPercent}% gate`,
      };
    }
  }
  if (gates.maxErrorRatePercent !== undefined && summary.samples > 0) {
    const errors = shadows.reduce((n, s) => n + s.errors, 0);
    const rate = (errors / summary.samples) * 100;
    if (rate > gates.maxErrorRatePercent) {
      return {
        ok: false,
        gate: 'maxErrorRatePercent',
        reason: `in shadow, the candidate failed ${errors} of ${summary.samples} samples (${pct(rate)}), above the ${gates.maxErrorRatePercent}% gate`,
      };
    }
  }
  return { ok: true };
}

// ---- Phases and pace ----

export interface PlannedPhase {
  index: number;
  /** e.g. "10%", "25 devices", "100%", "exponential 5/min ×2". */
  label: string;
  /** Cumulative number of installing devices once this phase is through. */
  target: number;
  soakSeconds: number;
}

const ceilPercent = (n: number, percent: number) => Math.min(n, Math.ceil((n * percent) / 100 - 1e-9));

/**
 * Phase targets for `eligible` devices (pinned ones excluded). Targets are cumulative and never
 * shrink; when the last phase stops short of every device, a final "100%" phase without soak
 * takes the rest, so a rollout always ends with the whole selection on the version.
 */
export function phasePlan(strategy: TRolloutStrategy, eligible: number): PlannedPhase[] {
  if (strategy.kind === 'all') return [{ index: 0, label: '100%', target: eligible, soakSeconds: 0 }];
  if (strategy.kind === 'exponential') {
    const label = `exponential ${strategy.startPerMinute}/min ×${strategy.factor}`;
    return [{ index: 0, label, target: eligible, soakSeconds: 0 }];
  }
  const phases: PlannedPhase[] = [];
  let reached = 0;
  for (const p of strategy.phases) {
    const target = Math.max(
      reached,
      p.percent !== undefined ? ceilPercent(eligible, p.percent) : Math.min(eligible, p.count ?? 0),
    );
    const label = p.percent !== undefined ? `${p.percent}%` : `${p.count} devices`;
    phases.push({ index: phases.length, label, target, soakSeconds: p.soakSeconds });
    reached = target;
  }
  if (reached < eligible) phases.push({ index: phases.length, label: '100%', target: eligible, soakSeconds: 0 });
  return phases;
}

/** Size of the shadow cohort: the plan's share of the eligible devices, among those that already serve a version. */
export function shadowCohortSize(
  shadow: Pick<TShadowPlan, 'percent' | 'count'>,
  eligible: number,
  withPrevious: number,
) {
  const wanted = shadow.percent !== undefined ? ceilPercent(eligible, shadow.percent) : (shadow.count ?? 0);
  return Math.min(wanted, withPrevious);
}

export const shadowLabel = (shadow: Pick<TShadowPlan, 'percent' | 'count'>) =>
  shadow.percent !== undefined ? `shadow ${shadow.percent}%` : `shadow ${shadow.count} devices`;

/**
 * Devices an exponential rollout may have admitted after `elapsedMs`: startPerMinute in minute 0,
 * then start×factor^k in minute k, summed.
 */
export function exponentialAllowance(startPerMinute: number, factor: number, elapsedMs: number): number {
  const k = Math.max(0, Math.floor(elapsedMs / 60_000));
  const total = factor === 1 ? startPerMinute * (k + 1) : (startPerMinute * (factor ** (k + 1) - 1)) / (factor - 1);
  return Number.isFinite(total) ? Math.min(Math.floor(total + 1e-9), Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
}

// ---- Maintenance window ----

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * Whether `now` (UTC) is inside the window. A window that ends before it starts spans midnight;
 * its early-morning part belongs to the day it opened on, so `days` names opening days. Equal
 * start and end mean the whole day.
 */
export function inMaintenanceWindow(window: TMaintenanceWindow | null | undefined, now: Date): boolean {
  if (!window) return true;
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  const day = now.getUTCDay();
  const opens = (d: number) => !window.days || window.days.length === 0 || window.days.includes(d);
  if (start === end) return opens(day);
  if (start < end) return minute >= start && minute < end && opens(day);
  return (minute >= start && opens(day)) || (minute < end && opens((day + 6) % 7));
}
