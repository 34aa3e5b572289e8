'use client';

import {
  ALERT_METRIC_LABELS,
  ALERT_METRICS,
  ALERT_SEVERITIES,
  type TAlertMetric,
  type TAlertRuleKind,
  type TAlertSeverity,
} from '@edgefleet/protocol/health';
import { useMutation } from '@tanstack/react-query';
import { Save } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles, inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { Field, TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';
import {
  DEFAULT_WINDOW,
  emptyRuleForm,
  formFromRule,
  type RuleFormState,
  toRuleInput,
  WINDOW_UNITS,
  type WindowUnit,
} from './rule-form-state';
import type { RuleView } from './types';

const KINDS: { value: TAlertRuleKind; label: string }[] = [
  { value: 'metric', label: 'Metric over a window' },
  { value: 'device_offline', label: 'Device offline' },
  { value: 'certificate_expiry', label: 'Certificate expiring' },
  { value: 'rollout_gate', label: 'Rollout gate tripped' },
];

const WINDOW_LABEL: Record<TAlertRuleKind, string> = {
  metric: 'For at least',
  device_offline: 'Offline longer than',
  certificate_expiry: 'Expires within',
  rollout_gate: '',
};

/** Creates a rule (rule = null) or edits one; fields follow the kind. The server validates. */
export function RuleForm({ rule, groups, onDone }: { rule: RuleView | null; groups: string[]; onDone: () => void }) {
  const trpc = useTRPC();
  const [s, setState] = useState<RuleFormState>(() => (rule ? formFromRule(rule) : emptyRuleForm()));
  const set = (patch: Partial<RuleFormState>) => setState((prev) => ({ ...prev, ...patch }));
  const create = useMutation(trpc.alerts.rules.create.mutationOptions({ onSuccess: onDone }));
  const update = useMutation(trpc.alerts.rules.update.mutationOptions({ onSuccess: onDone }));
  const pending = create.isPending || update.isPending;
  const error = create.error?.message ?? update.error?.message;
  const unit = ALERT_METRIC_LABELS[s.metric].unit;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const input = toRuleInput(s);
    if (rule) update.mutate({ id: rule.id, rule: input });
    else create.mutate(input);
  }

  return (
    <Card>
      <CardHeader
        title={rule ? `Edit “${rule.name}”` : 'New alert rule'}
        description="Metric rules read the telemetry devices send; gauges must cross the threshold in every sample of the window."
      />
      <form onSubmit={onSubmit} className="space-y-5 px-5 py-5" data-testid="rule-form">
        {error ? (
          <Alert tone="error" data-testid="rule-form-error">
            {error}
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            id="rule-name"
            label="Name"
            fieldClassName="sm:col-span-2"
            required
            maxLength={120}
            value={s.name}
            onChange={(e) => set({ name: e.target.value })}
            placeholder="e.g. Hot CPU on the Berlin line"
          />
          <Field id="rule-kind" label="Kind">
            <select
              id="rule-kind"
              value={s.kind}
              disabled={rule?.builtIn}
              onChange={(e) => {
                const kind = e.target.value as TAlertRuleKind;
                set({ kind, ...DEFAULT_WINDOW[kind] });
              }}
              className={inputStyles}
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </Field>
        </div>

        {s.kind === 'metric' ? (
          <div className="grid gap-4 sm:grid-cols-3">
            <Field id="rule-metric" label="Metric">
              <select
                id="rule-metric"
                value={s.metric}
                onChange={(e) => set({ metric: e.target.value as TAlertMetric })}
                className={inputStyles}
              >
                {ALERT_METRICS.map((m) => (
                  <option key={m} value={m}>
                    {ALERT_METRIC_LABELS[m].label} ({ALERT_METRIC_LABELS[m].unit})
                  </option>
                ))}
              </select>
            </Field>
            <Field id="rule-operator" label="Is">
              <select
                id="rule-operator"
                value={s.operator}
                onChange={(e) => set({ operator: e.target.value as 'gt' | 'lt' })}
                className={inputStyles}
              >
                <option value="gt">above</option>
                <option value="lt">below</option>
              </select>
            </Field>
            <Field id="rule-threshold" label="Threshold">
              <div className="flex items-center gap-2">
                <input
                  id="rule-threshold"
                  type="number"
                  step="any"
                  required
                  value={s.threshold}
                  onChange={(e) => set({ threshold: e.target.value })}
                  className={`${inputStyles} tabular-nums`}
                />
                <span className="shrink-0 text-sm text-slate-500" data-testid="threshold-unit">
                  {unit}
                </span>
              </div>
            </Field>
          </div>
        ) : null}

        <div className="grid gap-4 sm:grid-cols-3">
          {s.kind !== 'rollout_gate' ? (
            <Field id="rule-window" label={WINDOW_LABEL[s.kind]}>
              <div className="flex gap-2">
                <input
                  id="rule-window"
                  type="number"
                  min={1}
                  step="any"
                  required
                  value={s.window}
                  onChange={(e) => set({ window: e.target.value })}
                  className={`${inputStyles} tabular-nums`}
                />
                <select
                  aria-label="Window unit"
                  value={s.windowUnit}
                  onChange={(e) => set({ windowUnit: e.target.value as WindowUnit })}
                  className={`${inputStyles} w-24`}
                >
                  {Object.keys(WINDOW_UNITS).map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                </select>
              </div>
            </Field>
          ) : null}
          <Field id="rule-severity" label="Severity">
            <select
              id="rule-severity"
              value={s.severity}
              onChange={(e) => set({ severity: e.target.value as TAlertSeverity })}
              className={inputStyles}
            >
              {ALERT_SEVERITIES.map((sev) => (
                <option key={sev} value={sev}>
                  {sev}
                </option>
              ))}
            </select>
          </Field>
          {s.kind !== 'rollout_gate' ? (
            <Field id="rule-selector" label="Devices">
              <select
                id="rule-selector"
                value={s.selectorKind}
                onChange={(e) => set({ selectorKind: e.target.value as RuleFormState['selectorKind'] })}
                className={inputStyles}
              >
                <option value="all">All devices</option>
                <option value="group">A group</option>
                <option value="tags">Devices with tags</option>
                <option value="devices">Listed devices</option>
              </select>
            </Field>
          ) : null}
        </div>

        {s.kind !== 'rollout_gate' && s.selectorKind === 'group' ? (
          <Field id="rule-group" label="Group">
            <select
              id="rule-group"
              required
              value={s.group}
              onChange={(e) => set({ group: e.target.value })}
              className={`${inputStyles} sm:max-w-sm`}
            >
              <option value="" disabled>
                Choose a group…
              </option>
              {groups.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {s.kind !== 'rollout_gate' && s.selectorKind === 'tags' ? (
          <TextField
            id="rule-tags"
            label="Tags (a device must carry all of them)"
            required
            value={s.tags}
            onChange={(e) => set({ tags: e.target.value })}
            placeholder="site=berlin, line=3"
            className="font-mono"
          />
        ) : null}
        {s.kind !== 'rollout_gate' && s.selectorKind === 'devices' ? (
          <Field id="rule-devices" label="Device ids" hint="Separate them with commas, spaces or new lines.">
            <textarea
              id="rule-devices"
              rows={3}
              required
              value={s.deviceIds}
              onChange={(e) => set({ deviceIds: e.target.value })}
              className={`${inputStyles} font-mono`}
            />
          </Field>
        ) : null}

        <div className="flex flex-wrap items-center justify-between gap-3">
          <label className="inline-flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={s.enabled}
              onChange={(e) => set({ enabled: e.target.checked })}
              className="size-4 rounded border-slate-300 accent-indigo-600"
            />
            Enabled
          </label>
          <div className="flex gap-2">
            <button type="button" className={buttonStyles.secondary} onClick={onDone} disabled={pending}>
              Cancel
            </button>
            <SubmitButton icon={Save} pending={pending} busyLabel="Saving…">
              {rule ? 'Save rule' : 'Create rule'}
            </SubmitButton>
          </div>
        </div>
      </form>
    </Card>
  );
}
