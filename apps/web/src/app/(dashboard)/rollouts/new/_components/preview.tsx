'use client';

import type { TRolloutSelector } from '@edgefleet/protocol/rollout';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { LoaderCircle } from 'lucide-react';
import { Alert } from '@/components/alert';
import type { RouterOutputs } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { useDebounced } from './use-debounced';

export type Preview = RouterOutputs['rollouts']['preview'];

/**
 * What the selector matches right now, asked of the server as the operator types (debounced,
 * keyed by the selector's JSON so an unchanged selector never asks twice).
 */
export function usePreview(model: string, selector: TRolloutSelector | null) {
  const trpc = useTRPC();
  const key = useDebounced(selector ? JSON.stringify(selector) : '', 350);
  const settled = key ? (JSON.parse(key) as TRolloutSelector) : null;
  const query = useQuery({
    ...trpc.rollouts.preview.queryOptions({ model, selector: settled ?? { kind: 'all' } }),
    enabled: Boolean(model && settled),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
  const typing = (selector ? JSON.stringify(selector) : '') !== key;
  return { ...query, ready: Boolean(model && settled), typing };
}

function Stat({
  label,
  value,
  hint,
  tone,
  testId,
}: {
  label: string;
  value: number | undefined;
  hint: string;
  tone?: 'amber' | 'indigo';
  testId: string;
}) {
  const colour =
    tone === 'amber' && value ? 'text-amber-700' : tone === 'indigo' ? 'text-indigo-700' : 'text-slate-900';
  return (
    <div className="rounded-md bg-slate-50/80 px-3.5 py-3 ring-1 ring-slate-200 ring-inset">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className={`mt-0.5 text-2xl font-semibold tabular-nums ${colour}`} data-testid={testId}>
        {value === undefined ? '–' : value.toLocaleString('en-US')}
      </dd>
      <p className="mt-0.5 text-xs text-slate-500">{hint}</p>
    </div>
  );
}

export function PreviewPanel({ model, preview }: { model: string; preview: ReturnType<typeof usePreview> }) {
  if (!preview.ready) {
    return (
      <p className="rounded-md bg-slate-50 px-3.5 py-3 text-sm text-slate-500 ring-1 ring-slate-200 ring-inset">
        {model ? 'Describe the devices to see how many match.' : 'Choose a model first: the count depends on it.'}
      </p>
    );
  }
  const d = preview.data;
  const busy = d?.busy ?? 0;
  return (
    <div className="space-y-3" data-testid="selector-preview" aria-live="polite">
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-medium text-slate-700">Matching devices now</h3>
        {preview.isFetching || preview.typing ? (
          <span className="flex items-center gap-1.5 text-xs text-slate-500">
            <LoaderCircle className="size-3.5 animate-spin" aria-hidden="true" /> Counting…
          </span>
        ) : null}
      </div>
      {preview.error ? (
        <Alert tone="error">{preview.error.message}</Alert>
      ) : (
        <dl className={`grid grid-cols-2 gap-2 sm:grid-cols-4 ${preview.isPlaceholderData ? 'opacity-60' : ''}`}>
          <Stat label="Matched" value={d?.matched} hint="accepted devices" testId="preview-matched" />
          <Stat label="Pinned" value={d?.pinned} hint="skipped: held on a version" testId="preview-pinned" />
          <Stat label="Busy" value={d?.busy} hint={`in another ${model} rollout`} tone="amber" testId="preview-busy" />
          <Stat label="Eligible" value={d?.eligible} hint="will be updated" tone="indigo" testId="preview-eligible" />
        </dl>
      )}
      {busy > 0 ? (
        <Alert tone="warning" data-testid="preview-busy-note">
          {busy.toLocaleString('en-US')} of these devices {busy === 1 ? 'is' : 'are'} in another active rollout of{' '}
          {model}. A device takes part in one rollout of a model at a time, so this one will be refused until that
          rollout finishes or is aborted.
        </Alert>
      ) : d && d.matched === 0 ? (
        <Alert tone="info">No accepted device matches yet.</Alert>
      ) : null}
    </div>
  );
}
