/**
 * The wizard's form state (strings, as the inputs hold them) and its translation into the
 * create-rollout contract. Pure, so the rules are unit-tested without a browser.
 */
import { type TCreateRollout, type TRolloutSelector, ZCreateRollout } from '@edgefleet/protocol/rollout';

export type SelectorKind = TRolloutSelector['kind'];
export type StrategyKind = 'all' | 'phases' | 'exponential';

export interface PhaseDraft {
  /** Cumulative share of the matched devices this phase reaches. */
  percent: string;
  soakMinutes: string;
}

export interface WizardState {
  model: string;
  version: string;
  selectorKind: SelectorKind;
  group: string;
  tags: { key: string; value: string }[];
  /** Device ids separated by commas, spaces or new lines. */
  deviceIds: string;
  strategyKind: StrategyKind;
  phases: PhaseDraft[];
  startPerMinute: string;
  factor: string;
  maxFailurePercent: string;
  minSuccesses: string;
  maxErrorRatePercent: string;
  maxP95RegressionPercent: string;
  maxRestarts: string;
  shadow: boolean;
  shadowPercent: string;
  shadowMinutes: string;
  shadowSamplePercent: string;
  minAgreementPercent: string;
  onFailure: 'pause' | 'rollback';
  maxConcurrent: string;
  window: boolean;
  windowStart: string;
  windowEnd: string;
  /** 0 = Sunday; empty = every day. */
  windowDays: number[];
  stepTimeoutSeconds: string;
  maxRetries: string;
  healthCheckSeconds: string;
  force: boolean;
}

export function initialState(model = '', version = ''): WizardState {
  return {
    model,
    version,
    selectorKind: 'group',
    group: '',
    tags: [{ key: '', value: '' }],
    deviceIds: '',
    strategyKind: 'phases',
    phases: [
      { percent: '10', soakMinutes: '30' },
      { percent: '50', soakMinutes: '30' },
      { percent: '100', soakMinutes: '0' },
    ],
    startPerMinute: '5',
    factor: '2',
    maxFailurePercent: '5',
    minSuccesses: '0',
    maxErrorRatePercent: '',
    maxP95RegressionPercent: '',
    maxRestarts: '',
    shadow: false,
    shadowPercent: '5',
    shadowMinutes: '60',
    shadowSamplePercent: '100',
    minAgreementPercent: '95',
    onFailure: 'pause',
    maxConcurrent: '',
    window: false,
    windowStart: '01:00',
    windowEnd: '05:00',
    windowDays: [],
    stepTimeoutSeconds: '900',
    maxRetries: '2',
    healthCheckSeconds: '10',
    force: false,
  };
}

/** '' → undefined (the contract's default applies); anything else → a number (NaN fails validation). */
const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s.trim()));

export const parseDeviceIds = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** The selector the form describes, or null while it is incomplete (no preview then). */
export function toSelector(s: WizardState): TRolloutSelector | null {
  switch (s.selectorKind) {
    case 'all':
      return { kind: 'all' };
    case 'group':
      return s.group.trim() ? { kind: 'group', group: s.group.trim() } : null;
    case 'tags': {
      const pairs = s.tags.filter((t) => t.key.trim());
      if (pairs.length === 0) return null;
      return { kind: 'tags', tags: Object.fromEntries(pairs.map((t) => [t.key.trim(), t.value.trim()])) };
    }
    case 'devices': {
      const ids = parseDeviceIds(s.deviceIds);
      return ids.length ? { kind: 'devices', deviceIds: ids } : null;
    }
  }
}

function strategy(s: WizardState): TCreateRollout['strategy'] {
  if (s.strategyKind === 'all') return { kind: 'all' };
  if (s.strategyKind === 'exponential') {
    return { kind: 'exponential', startPerMinute: num(s.startPerMinute) ?? Number.NaN, factor: num(s.factor) ?? 2 };
  }
  return {
    kind: 'phases',
    phases: s.phases.map((p) => ({
      percent: num(p.percent) ?? Number.NaN,
      soakSeconds: Math.round((num(p.soakMinutes) ?? 0) * 60),
    })),
  };
}

/**
 * Rules the schema cannot state alone: phases only ever widen. (A last phase short of 100 % is
 * fine: core appends a final 100 % phase without soak for the rest.)
 */
function phaseError(s: WizardState): string | null {
  if (s.strategyKind !== 'phases') return null;
  const percents = s.phases.map((p) => num(p.percent) ?? Number.NaN);
  if (percents.some((p) => !(p > 0 && p <= 100))) return 'Each phase needs a share between 0 and 100 %.';
  if (percents.some((p, i) => i > 0 && p <= (percents[i - 1] ?? 0))) {
    return 'Each phase must reach more devices than the one before (the percentages are cumulative).';
  }
  return null;
}

const FIELD_NAMES: Record<string, string> = {
  selector: 'Devices',
  strategy: 'Strategy',
  gates: 'Gates',
  maxConcurrent: 'Max concurrent',
  window: 'Maintenance window',
  shadow: 'Shadow phase',
  stepTimeoutSeconds: 'Step timeout',
  maxRetries: 'Retries',
  healthCheckSeconds: 'Health check',
};

/** The create input, or the first problem in words (before the server is asked). */
export function toCreateInput(s: WizardState): { input: TCreateRollout } | { error: string } {
  if (!s.model || !s.version) return { error: 'Choose a model and a published version.' };
  const selector = toSelector(s);
  if (!selector) return { error: 'Choose which devices the rollout targets.' };
  const phases = phaseError(s);
  if (phases) return { error: phases };
  const input: TCreateRollout = {
    model: s.model,
    version: s.version,
    selector,
    strategy: strategy(s),
    gates: {
      maxFailurePercent: num(s.maxFailurePercent) ?? 5,
      minSuccesses: num(s.minSuccesses) ?? 0,
      ...(num(s.maxErrorRatePercent) !== undefined ? { maxErrorRatePercent: num(s.maxErrorRatePercent) } : {}),
      ...(num(s.maxP95RegressionPercent) !== undefined
        ? { maxP95RegressionPercent: num(s.maxP95RegressionPercent) }
        : {}),
      ...(num(s.maxRestarts) !== undefined ? { maxRestarts: num(s.maxRestarts) } : {}),
      ...(s.shadow && num(s.minAgreementPercent) !== undefined
        ? { minAgreementPercent: num(s.minAgreementPercent) }
        : {}),
    },
    onFailure: s.onFailure,
    ...(num(s.maxConcurrent) !== undefined ? { maxConcurrent: num(s.maxConcurrent) } : {}),
    ...(s.window
      ? {
          window: {
            start: s.windowStart,
            end: s.windowEnd,
            ...(s.windowDays.length ? { days: [...s.windowDays].sort() } : {}),
          },
        }
      : {}),
    ...(s.shadow
      ? {
          shadow: {
            percent: num(s.shadowPercent) ?? Number.NaN,
            durationSeconds: Math.round((num(s.shadowMinutes) ?? Number.NaN) * 60),
            samplePercent: num(s.shadowSamplePercent) ?? 100,
          },
        }
      : {}),
    stepTimeoutSeconds: num(s.stepTimeoutSeconds) ?? 900,
    maxRetries: num(s.maxRetries) ?? 2,
    healthCheckSeconds: num(s.healthCheckSeconds) ?? 10,
    force: s.force,
  };
  const parsed = ZCreateRollout.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = FIELD_NAMES[String(issue?.path[0])] ?? String(issue?.path[0] ?? '');
    const detail = issue?.path.slice(1).join(' ') ?? '';
    return { error: `${field}${detail ? ` (${detail})` : ''}: ${issue?.message ?? 'invalid'}` };
  }
  return { input };
}
