/** The rule editor's form state, and its translation to and from ZAlertRuleInput. Pure, so it is unit-tested. */
import {
  ALERT_METRIC_LABELS,
  type TAlertMetric,
  type TAlertRuleInput,
  type TAlertRuleKind,
  type TAlertSeverity,
} from '@edgefleet/protocol/health';
import type { TRolloutSelector } from '@edgefleet/protocol/rollout';
// Relative, not '@/lib': this module is unit-tested and vitest has no '@/' alias.
import { describeSelector } from '../../../../lib/selector-text';

export const WINDOW_UNITS = { s: 1, min: 60, h: 3600, d: 86_400 } as const;
export type WindowUnit = keyof typeof WINDOW_UNITS;

export interface RuleFormState {
  kind: TAlertRuleKind;
  name: string;
  severity: TAlertSeverity;
  metric: TAlertMetric;
  operator: 'gt' | 'lt';
  threshold: string;
  window: string;
  windowUnit: WindowUnit;
  selectorKind: TRolloutSelector['kind'];
  group: string;
  /** "key=value, key=value" */
  tags: string;
  /** ids separated by commas, spaces or new lines */
  deviceIds: string;
  enabled: boolean;
}

/** Sensible windows per kind: 5 min of a metric, 10 min offline, 14 days before a certificate expires. */
export const DEFAULT_WINDOW: Record<TAlertRuleKind, { window: string; windowUnit: WindowUnit }> = {
  metric: { window: '5', windowUnit: 'min' },
  device_offline: { window: '10', windowUnit: 'min' },
  certificate_expiry: { window: '14', windowUnit: 'd' },
  rollout_gate: { window: '0', windowUnit: 's' },
};

export const emptyRuleForm = (): RuleFormState => ({
  kind: 'metric',
  name: '',
  severity: 'warning',
  metric: 'cpu_percent',
  operator: 'gt',
  threshold: '90',
  ...DEFAULT_WINDOW.metric,
  selectorKind: 'all',
  group: '',
  tags: '',
  deviceIds: '',
  enabled: true,
});

function splitWindow(seconds: number): { window: string; windowUnit: WindowUnit } {
  for (const unit of ['d', 'h', 'min'] as const) {
    if (seconds > 0 && seconds % WINDOW_UNITS[unit] === 0) {
      return { window: String(seconds / WINDOW_UNITS[unit]), windowUnit: unit };
    }
  }
  return { window: String(seconds), windowUnit: 's' };
}

export interface StoredRule {
  kind: string;
  name: string;
  severity: string;
  metric: string | null;
  operator: string | null;
  threshold: number | null;
  windowSeconds: number;
  selector: unknown;
  enabled: boolean;
}

export function formFromRule(r: StoredRule): RuleFormState {
  const selector = (r.selector ?? { kind: 'all' }) as TRolloutSelector;
  return {
    ...emptyRuleForm(),
    kind: r.kind as TAlertRuleKind,
    name: r.name,
    severity: r.severity as TAlertSeverity,
    metric: (r.metric ?? 'cpu_percent') as TAlertMetric,
    operator: r.operator === 'lt' ? 'lt' : 'gt',
    threshold: r.threshold === null ? '' : String(r.threshold),
    ...splitWindow(r.windowSeconds),
    selectorKind: selector.kind,
    group: selector.kind === 'group' ? selector.group : '',
    tags:
      selector.kind === 'tags'
        ? Object.entries(selector.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        : '',
    deviceIds: selector.kind === 'devices' ? selector.deviceIds.join('\n') : '',
    enabled: r.enabled,
  };
}

export function selectorOf(s: RuleFormState): TRolloutSelector {
  switch (s.selectorKind) {
    case 'group':
      return { kind: 'group', group: s.group.trim() };
    case 'tags':
      return {
        kind: 'tags',
        tags: Object.fromEntries(
          s.tags
            .split(',')
            .map((pair) => pair.split('=').map((x) => x.trim()))
            .filter(([k]) => k)
            .map(([k, v]) => [k as string, v ?? '']),
        ),
      };
    case 'devices':
      return { kind: 'devices', deviceIds: [...new Set(s.deviceIds.split(/[\s,]+/).filter(Boolean))] };
    default:
      return { kind: 'all' };
  }
}

/** The input the API validates (it answers with the first problem, shown beside the form). */
export function toRuleInput(s: RuleFormState): TAlertRuleInput {
  const windowSeconds = Math.round(Number(s.window) * WINDOW_UNITS[s.windowUnit]);
  const common = { name: s.name.trim(), severity: s.severity, enabled: s.enabled, selector: selectorOf(s) };
  switch (s.kind) {
    case 'metric':
      return {
        ...common,
        kind: 'metric',
        metric: s.metric,
        operator: s.operator,
        threshold: s.threshold.trim() === '' ? Number.NaN : Number(s.threshold),
        windowSeconds,
      };
    case 'rollout_gate':
      return { ...common, kind: 'rollout_gate', selector: { kind: 'all' }, windowSeconds: 0 };
    default:
      return { ...common, kind: s.kind, windowSeconds };
  }
}

export function durationText(seconds: number): string {
  const { window, windowUnit } = splitWindow(seconds);
  return `${window} ${windowUnit}`;
}

/** "CPU > 90 % for 5 min", as the summaries and notifications say it. */
export function conditionText(r: StoredRule): string {
  switch (r.kind) {
    case 'metric': {
      const m = ALERT_METRIC_LABELS[r.metric as TAlertMetric] ?? { label: r.metric ?? '?', unit: '' };
      const gauge = ['cpu_percent', 'memory_percent', 'disk_percent', 'temperature_c'].includes(r.metric ?? '');
      const unit = m.unit === '%' ? ' %' : ` ${m.unit}`;
      return `${m.label} ${r.operator === 'lt' ? '<' : '>'} ${r.threshold}${unit} ${gauge ? 'for' : 'over'} ${durationText(r.windowSeconds)}`;
    }
    case 'device_offline':
      return `Offline for more than ${durationText(r.windowSeconds)}`;
    case 'certificate_expiry':
      return `Certificate expires within ${durationText(r.windowSeconds)}`;
    default:
      return 'A health gate paused or rolled back a rollout';
  }
}

export function selectorText(selector: unknown, kind: string): string {
  if (kind === 'rollout_gate') return 'every rollout';
  return describeSelector((selector ?? { kind: 'all' }) as TRolloutSelector, 'every device');
}
