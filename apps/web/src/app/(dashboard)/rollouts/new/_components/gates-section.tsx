'use client';

import { labelStyles } from '@/components/button';
import { CheckField, ChoiceCards, NumberField } from './fields';
import type { WizardState } from './wizard-state';

const ON_FAILURE = [
  {
    value: 'pause',
    title: 'Pause',
    description: 'Stop admitting devices and wait for an operator. Updated devices keep the new version.',
  },
  {
    value: 'rollback',
    title: 'Roll back',
    description: 'Send every device that took the version back to the one it ran before.',
  },
] satisfies { value: WizardState['onFailure']; title: string; description: string }[];

export function GatesSection({ state, set }: { state: WizardState; set: (patch: Partial<WizardState>) => void }) {
  return (
    <div className="space-y-6">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <NumberField
          id="gate-failure"
          label="Max failures"
          unit="%"
          min={0}
          max={100}
          step="any"
          value={state.maxFailurePercent}
          onChange={(maxFailurePercent) => set({ maxFailurePercent })}
          hint="Failed and timed-out devices, of those finished."
        />
        <NumberField
          id="gate-successes"
          label="Min successes per phase"
          min={0}
          value={state.minSuccesses}
          onChange={(minSuccesses) => set({ minSuccesses })}
          hint="Before the next phase may start."
        />
        <NumberField
          id="gate-error-rate"
          label="Max error rate"
          unit="%"
          optional
          min={0}
          max={100}
          step="any"
          placeholder="no limit"
          value={state.maxErrorRatePercent}
          onChange={(maxErrorRatePercent) => set({ maxErrorRatePercent })}
          hint="Of inference requests on the new version."
        />
        <NumberField
          id="gate-p95"
          label="Max p95 regression"
          unit="%"
          optional
          min={0}
          step="any"
          placeholder="no limit"
          value={state.maxP95RegressionPercent}
          onChange={(maxP95RegressionPercent) => set({ maxP95RegressionPercent })}
          hint="Latency against the previous version, same devices."
        />
        <NumberField
          id="gate-restarts"
          label="Max restarts"
          optional
          min={0}
          placeholder="no limit"
          value={state.maxRestarts}
          onChange={(maxRestarts) => set({ maxRestarts })}
          hint="Agent crashes after the switch, all devices together."
        />
      </div>

      <div className="space-y-3 border-t border-slate-100 pt-5">
        <CheckField
          id="shadow-enabled"
          checked={state.shadow}
          onChange={(shadow) => set({ shadow })}
          title="Shadow phase first"
          description="A cohort runs the new version beside the serving one on live requests, without serving its answers, before anything is switched."
        />
        {state.shadow ? (
          <div className="grid gap-4 pl-6.5 sm:grid-cols-2 lg:grid-cols-4" data-testid="shadow-fields">
            <NumberField
              id="shadow-percent"
              label="Cohort"
              unit="%"
              min={0.01}
              max={100}
              step="any"
              value={state.shadowPercent}
              onChange={(shadowPercent) => set({ shadowPercent })}
            />
            <NumberField
              id="shadow-minutes"
              label="Duration"
              unit="min"
              min={1}
              value={state.shadowMinutes}
              onChange={(shadowMinutes) => set({ shadowMinutes })}
            />
            <NumberField
              id="shadow-sample"
              label="Requests mirrored"
              unit="%"
              min={1}
              max={100}
              value={state.shadowSamplePercent}
              onChange={(shadowSamplePercent) => set({ shadowSamplePercent })}
            />
            <NumberField
              id="shadow-agreement"
              label="Min agreement"
              unit="%"
              optional
              min={0}
              max={100}
              step="any"
              value={state.minAgreementPercent}
              onChange={(minAgreementPercent) => set({ minAgreementPercent })}
            />
          </div>
        ) : null}
      </div>

      <div className="space-y-2 border-t border-slate-100 pt-5">
        <span className={labelStyles}>When a gate trips</span>
        <ChoiceCards
          name="on-failure"
          legend="When a gate trips"
          choices={ON_FAILURE}
          value={state.onFailure}
          onChange={(onFailure) => set({ onFailure })}
          columns={2}
        />
      </div>
    </div>
  );
}
