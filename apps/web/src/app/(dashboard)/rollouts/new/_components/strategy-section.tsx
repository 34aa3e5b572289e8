'use client';

import { Plus, X } from 'lucide-react';
import { buttonStyles, inputStyles } from '@/components/button';
import { ChoiceCards, NumberField } from './fields';
import type { StrategyKind, WizardState } from './wizard-state';

const KINDS = [
  { value: 'all', title: 'All at once', description: 'Every device is notified at once (bounded by max concurrent).' },
  { value: 'phases', title: 'Phases', description: 'Widen in steps; each soaks while the gates hold.' },
  { value: 'exponential', title: 'Exponential', description: 'Admit a few per minute, multiplying as gates hold.' },
] satisfies { value: StrategyKind; title: string; description: string }[];

function exponentialHint(start: number, factor: number) {
  if (!(start > 0) || !(factor >= 1)) return 'Devices admitted in the first minute, then multiplied each minute.';
  const steps = Array.from({ length: 4 }, (_, k) => Math.round(start * factor ** k).toLocaleString('en-US'));
  return `Per minute: ${steps.join(', ')}… while the gates hold.`;
}

export function StrategySection({ state, set }: { state: WizardState; set: (patch: Partial<WizardState>) => void }) {
  const setPhase = (i: number, patch: Partial<WizardState['phases'][number]>) =>
    set({ phases: state.phases.map((p, j) => (j === i ? { ...p, ...patch } : p)) });
  return (
    <div className="space-y-5">
      <ChoiceCards
        name="strategy-kind"
        legend="Strategy"
        choices={KINDS}
        value={state.strategyKind}
        onChange={(strategyKind) => set({ strategyKind })}
      />
      {state.strategyKind === 'phases' ? (
        <div className="space-y-2" data-testid="phase-editor">
          <p className="text-xs text-slate-500">
            Percentages are cumulative shares of the matched devices. A phase starts when the one before has finished,
            met its minimum successes and soaked.
          </p>
          <ol className="space-y-2">
            {state.phases.map((p, i) => (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: phases are edited in place; order is their identity
                key={i}
                className="flex flex-wrap items-center gap-x-3 gap-y-2 rounded-md bg-slate-50/80 px-3 py-2 ring-1 ring-slate-200 ring-inset"
              >
                <span className="w-16 text-sm font-medium text-slate-700">Phase {i + 1}</span>
                <label className="flex items-center gap-2 text-sm text-slate-600">
                  reach
                  <span className="relative w-24">
                    <input
                      aria-label={`Phase ${i + 1} percent`}
                      type="number"
                      min={0.01}
                      max={100}
                      step="any"
                      value={p.percent}
                      onChange={(e) => setPhase(i, { percent: e.target.value })}
                      className={`${inputStyles} pr-7 tabular-nums`}
                    />
                    <span className="pointer-events-none absolute inset-y-0 right-2.5 flex items-center text-sm text-slate-400">
                      %
                    </span>
                  </span>
                </label>
                <label className="flex items-center gap-2 text-sm text-slate-600">
                  then soak
                  <span className="relative w-24">
                    <input
                      aria-label={`Phase ${i + 1} soak minutes`}
                      type="number"
                      min={0}
                      value={p.soakMinutes}
                      onChange={(e) => setPhase(i, { soakMinutes: e.target.value })}
                      className={`${inputStyles} pr-10 tabular-nums`}
                    />
                    <span className="pointer-events-none absolute inset-y-0 right-2.5 flex items-center text-sm text-slate-400">
                      min
                    </span>
                  </span>
                </label>
                <button
                  type="button"
                  aria-label={`Remove phase ${i + 1}`}
                  className={`${buttonStyles.ghost} ml-auto`}
                  disabled={state.phases.length === 1}
                  onClick={() => set({ phases: state.phases.filter((_, j) => j !== i) })}
                >
                  <X className="size-4" aria-hidden="true" />
                </button>
              </li>
            ))}
          </ol>
          <button
            type="button"
            className={buttonStyles.small}
            disabled={state.phases.length >= 20}
            onClick={() => set({ phases: [...state.phases, { percent: '100', soakMinutes: '0' }] })}
          >
            <Plus className="size-3.5" aria-hidden="true" /> Add phase
          </button>
          {Number(state.phases.at(-1)?.percent) < 100 ? (
            <p className="text-xs text-slate-500" data-testid="final-phase-note">
              The last phase stops at {state.phases.at(-1)?.percent} %: a final 100 % phase without soak takes the rest.
            </p>
          ) : null}
        </div>
      ) : null}
      {state.strategyKind === 'exponential' ? (
        <div className="grid gap-4 sm:grid-cols-2">
          <NumberField
            id="exp-start"
            label="Start"
            unit="/ min"
            min={1}
            value={state.startPerMinute}
            onChange={(startPerMinute) => set({ startPerMinute })}
          />
          <NumberField
            id="exp-factor"
            label="Factor"
            unit="×"
            min={1}
            max={100}
            step="any"
            value={state.factor}
            onChange={(factor) => set({ factor })}
          />
          <p className="text-xs text-slate-500 sm:col-span-2">
            {exponentialHint(Number(state.startPerMinute), Number(state.factor))}
          </p>
        </div>
      ) : null}
    </div>
  );
}
