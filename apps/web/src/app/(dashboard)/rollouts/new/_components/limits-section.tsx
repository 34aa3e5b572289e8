'use client';

import { TriangleAlert } from 'lucide-react';
import { inputStyles, labelStyles } from '@/components/button';
import { CheckField, NumberField } from './fields';
import type { WizardState } from './wizard-state';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function LimitsSection({ state, set }: { state: WizardState; set: (patch: Partial<WizardState>) => void }) {
  const toggleDay = (d: number) =>
    set({
      windowDays: state.windowDays.includes(d) ? state.windowDays.filter((x) => x !== d) : [...state.windowDays, d],
    });
  return (
    <div className="space-y-6">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <NumberField
          id="max-concurrent"
          label="Max concurrent"
          optional
          min={1}
          placeholder="no limit"
          value={state.maxConcurrent}
          onChange={(maxConcurrent) => set({ maxConcurrent })}
          hint="Devices installing at once."
        />
        <NumberField
          id="step-timeout"
          label="Step timeout"
          unit="s"
          min={10}
          value={state.stepTimeoutSeconds}
          onChange={(stepTimeoutSeconds) => set({ stepTimeoutSeconds })}
          hint="Online and stuck longer: timed out."
        />
        <NumberField
          id="max-retries"
          label="Retries"
          min={0}
          max={20}
          value={state.maxRetries}
          onChange={(maxRetries) => set({ maxRetries })}
          hint="After a transient failure."
        />
        <NumberField
          id="health-check"
          label="Health check"
          unit="s"
          min={0}
          value={state.healthCheckSeconds}
          onChange={(healthCheckSeconds) => set({ healthCheckSeconds })}
          hint="Serving without a crash before success."
        />
      </div>

      <div className="space-y-3 border-t border-slate-100 pt-5">
        <CheckField
          id="window-enabled"
          checked={state.window}
          onChange={(window) => set({ window })}
          title="Maintenance window"
          description="New installs only start inside it (UTC). Devices already installing finish."
        />
        {state.window ? (
          <div className="flex flex-wrap items-end gap-4 pl-6.5" data-testid="window-fields">
            <div className="space-y-1.5">
              <label htmlFor="window-start" className={labelStyles}>
                From (UTC)
              </label>
              <input
                id="window-start"
                type="time"
                value={state.windowStart}
                onChange={(e) => set({ windowStart: e.target.value })}
                className={`${inputStyles} w-32`}
              />
            </div>
            <div className="space-y-1.5">
              <label htmlFor="window-end" className={labelStyles}>
                To (UTC)
              </label>
              <input
                id="window-end"
                type="time"
                value={state.windowEnd}
                onChange={(e) => set({ windowEnd: e.target.value })}
                className={`${inputStyles} w-32`}
              />
            </div>
            <fieldset>
              <legend className={`${labelStyles} mb-1.5`}>
                Days <span className="font-normal text-slate-400">(none: every day)</span>
              </legend>
              <div className="flex gap-1">
                {DAYS.map((name, d) => {
                  const on = state.windowDays.includes(d);
                  return (
                    <button
                      key={name}
                      type="button"
                      aria-pressed={on}
                      onClick={() => toggleDay(d)}
                      className={`rounded-md px-2.5 py-2 text-xs font-medium ring-1 ring-inset transition-colors ${
                        on
                          ? 'bg-indigo-600 text-white ring-indigo-600'
                          : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'
                      }`}
                    >
                      {name}
                    </button>
                  );
                })}
              </div>
            </fieldset>
          </div>
        ) : null}
      </div>

      <div className="space-y-3 border-t border-slate-100 pt-5">
        <CheckField
          id="force"
          checked={state.force}
          onChange={(force) => set({ force })}
          title="Force"
          description="Install even while an application on the device holds an update lock."
        />
        {state.force ? (
          <p className="flex items-center gap-1.5 pl-6.5 text-xs text-amber-800">
            <TriangleAlert className="size-3.5 text-amber-500" aria-hidden="true" />
            Applications that asked not to be interrupted will have their model swapped under them.
          </p>
        ) : null}
      </div>
    </div>
  );
}
