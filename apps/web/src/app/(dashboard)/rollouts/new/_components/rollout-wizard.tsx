'use client';

import { useMutation } from '@tanstack/react-query';
import { Rocket } from 'lucide-react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useCallback, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles } from '@/components/button';
import { SubmitButton } from '@/components/submit-button';
import type { ModelDetail, ModelSummary, RouterOutputs } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { GatesSection } from './gates-section';
import { LimitsSection } from './limits-section';
import { ModelSection } from './model-section';
import { PreviewPanel, usePreview } from './preview';
import { WizardSection } from './section';
import { SelectorSection } from './selector-section';
import { StrategySection } from './strategy-section';
import { gatesText, selectorText, strategyText } from './summary';
import { initialState, toCreateInput, toSelector, type WizardState } from './wizard-state';

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="px-5 py-3">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-slate-900" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

export function RolloutWizard({
  models,
  groups,
  initialModel,
  initialVersion,
}: {
  models: ModelSummary[];
  groups: RouterOutputs['groups']['list'];
  initialModel: ModelDetail | null;
  initialVersion: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [state, setState] = useState<WizardState>(() => initialState(initialModel?.name ?? '', initialVersion));
  const [localError, setLocalError] = useState<string | null>(null);
  const set = useCallback((patch: Partial<WizardState>) => setState((s) => ({ ...s, ...patch })), []);
  const onVersion = useCallback((version: string) => set({ version }), [set]);

  const selector = toSelector(state);
  const preview = usePreview(state.model, selector);
  const create = useMutation(
    trpc.rollouts.create.mutationOptions({ onSuccess: (res) => router.push(`/rollouts/${res.id}`) }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const result = toCreateInput(state);
    if ('error' in result) {
      setLocalError(result.error);
      return;
    }
    setLocalError(null);
    create.mutate(result.input);
  }

  const error = localError ?? create.error?.message ?? null;
  const eligible = preview.data?.eligible;

  return (
    <form onSubmit={onSubmit} noValidate className="grid items-start gap-6 lg:grid-cols-3" data-testid="rollout-wizard">
      <div className="min-w-0 space-y-6 lg:col-span-2">
        <WizardSection step={1} title="Model version" description="Only published versions signed by a trusted key.">
          <ModelSection
            models={models}
            initialModel={initialModel}
            model={state.model}
            version={state.version}
            onModel={(model) => set(model === state.model ? {} : { model, version: '' })}
            onVersion={onVersion}
          />
        </WizardSection>
        <WizardSection
          step={2}
          title="Devices"
          description="Resolved when the rollout starts; devices that join the group later are not added."
          testId="selector-section"
        >
          <SelectorSection state={state} set={set} groups={groups} />
          <PreviewPanel model={state.model} preview={preview} />
        </WizardSection>
        <WizardSection step={3} title="Strategy" description="How fast the version spreads.">
          <StrategySection state={state} set={set} />
        </WizardSection>
        <WizardSection
          step={4}
          title="Health gates"
          description="Checked continuously; a tripped gate stops the rollout with its reason."
        >
          <GatesSection state={state} set={set} />
        </WizardSection>
        <WizardSection step={5} title="Pace and safety" description="Limits on how installs run on the devices.">
          <LimitsSection state={state} set={set} />
        </WizardSection>
      </div>

      <aside className="lg:sticky lg:top-24" data-testid="rollout-review">
        <div className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <div className="border-b border-slate-200 px-5 py-4">
            <h2 className="text-base font-semibold text-slate-900">Review</h2>
            <p className="mt-0.5 text-sm text-slate-500">The rollout starts as soon as it is created.</p>
          </div>
          <dl className="divide-y divide-slate-100">
            <Row label="Version" testId="review-version">
              {state.model && state.version ? (
                <span className="font-mono">
                  {state.model}@{state.version}
                </span>
              ) : (
                <span className="text-slate-400">not chosen yet</span>
              )}
            </Row>
            <Row label="Devices">
              {selectorText(selector)}
              {eligible !== undefined && preview.ready ? (
                <div className="mt-0.5 text-xs text-slate-500" data-testid="review-eligible">
                  {eligible.toLocaleString('en-US')} will be updated
                </div>
              ) : null}
            </Row>
            <Row label="Strategy">{strategyText(state)}</Row>
            <Row label="Gates">
              <ul className="space-y-0.5">
                {gatesText(state).map((g) => (
                  <li key={g}>{g}</li>
                ))}
              </ul>
            </Row>
            <Row label="When a gate trips">{state.onFailure === 'pause' ? 'Pause' : 'Roll back'}</Row>
          </dl>
          <div className="space-y-3 border-t border-slate-200 px-5 py-4">
            {error ? (
              <Alert tone="error" data-testid="create-rollout-error">
                {error}
              </Alert>
            ) : null}
            <div className="flex justify-end gap-2">
              <Link href="/rollouts" className={buttonStyles.secondary}>
                Cancel
              </Link>
              <SubmitButton icon={Rocket} pending={create.isPending || create.isSuccess} busyLabel="Starting…">
                Start rollout
              </SubmitButton>
            </div>
          </div>
        </div>
      </aside>
    </form>
  );
}
