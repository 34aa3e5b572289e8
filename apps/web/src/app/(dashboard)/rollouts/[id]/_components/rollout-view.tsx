'use client';

import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Alert } from '@/components/alert';
import { Card } from '@/components/card';
import { CopyButton } from '@/components/copy-button';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { RolloutDetail, RolloutDevicePage } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { phaseLabel } from '../../_components/phase-label';
import { ProgressBar, ProgressLegend } from '../../_components/progress-bar';
import { RolloutStatusBadge } from '../../_components/rollout-status-badge';
import { type DeviceState, isActiveStatus } from '../../_components/states';
import { EventTimeline } from './event-timeline';
import { PhasesCard } from './phases-card';
import { RolloutActions } from './rollout-actions';
import { RolloutDevices } from './rollout-devices';
import { RolloutSettings } from './rollout-settings';
import { StateCounts } from './state-counts';
import { useNow } from './use-now';

/** Polling period while the rollout can still change (running or paused). */
const LIVE_MS = 2_000;

/**
 * Why the rollout stopped or paused: a tripped gate's reason must be impossible to miss. The
 * engine writes a gate's reason as `gate <name>: <why>`.
 */
function StatusReason({ status, reason }: { status: string; reason: string | null }) {
  if (!reason) return null;
  const gate = /^gate ([\w-]+): (.*)$/s.exec(reason);
  const tone =
    gate || status === 'failed' || status === 'rolled_back' ? 'error' : status === 'completed' ? 'info' : 'warning';
  return (
    <div className="mb-6" data-testid="rollout-status-reason">
      <Alert tone={tone}>
        {gate ? (
          <>
            <span className="font-semibold">
              Health gate <span className="font-mono">{gate[1]}</span> tripped.
            </span>{' '}
            {gate[2]}
          </>
        ) : (
          reason
        )}
      </Alert>
    </div>
  );
}

export function RolloutView({
  initial,
  initialDevices,
  canWrite,
  serverNow,
}: {
  initial: RolloutDetail;
  initialDevices: RolloutDevicePage;
  canWrite: boolean;
  serverNow: number;
}) {
  const trpc = useTRPC();
  const now = useNow(serverNow);
  const [filter, setFilter] = useState<DeviceState | null>(null);
  const query = useQuery({
    ...trpc.rollouts.get.queryOptions({ id: initial.id }),
    initialData: initial,
    refetchInterval: (q) => (isActiveStatus(q.state.data?.status ?? '') ? LIVE_MS : false),
  });
  const r = query.data;
  const live = isActiveStatus(r.status);
  const phaseLabels = useMemo(() => new Map(r.phases.map((p) => [p.index, `${p.index + 1} · ${p.label}`])), [r.phases]);
  const done = r.counts.succeeded ?? 0;

  return (
    <>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1
              className="truncate font-mono text-2xl font-semibold tracking-tight text-slate-900"
              data-testid="rollout-title"
            >
              {r.model}@{r.version}
            </h1>
            <RolloutStatusBadge status={r.status} />
            {live ? (
              <span className="inline-flex items-center gap-1.5 text-xs text-slate-500" title="Updates every 2 seconds">
                <span className="relative flex size-2">
                  <span className="absolute inline-flex size-full animate-ping rounded-full bg-indigo-400 opacity-60" />
                  <span className="relative inline-flex size-2 rounded-full bg-indigo-500" />
                </span>
                live
              </span>
            ) : null}
          </div>
          <div className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-500">
            <span className="inline-flex items-center gap-1 font-mono">
              {r.id}
              <CopyButton
                text={r.id}
                label="Copy rollout id"
                className="text-slate-400 hover:bg-slate-100 hover:text-slate-700"
              />
            </span>
            <span title={formatDateTime(r.createdAt)}>
              started {timeAgo(r.createdAt, now)} by {r.createdBy ?? 'unknown'}
            </span>
            {r.finishedAt ? (
              <span title={formatDateTime(r.finishedAt)}>· finished {timeAgo(r.finishedAt, now)}</span>
            ) : null}
          </div>
        </div>
        {canWrite ? <RolloutActions id={r.id} status={r.status} /> : null}
      </div>

      <StatusReason status={r.status} reason={r.statusReason} />
      {query.error ? (
        <div className="mb-6">
          <Alert tone="warning">Live updates stopped: {query.error.message}</Alert>
        </div>
      ) : null}

      <div className="space-y-6">
        <Card className="px-5 py-5">
          <div className="flex flex-wrap items-end justify-between gap-4">
            <div>
              <p className="text-sm text-slate-500">Devices updated</p>
              <p className="mt-0.5 text-3xl font-semibold text-slate-900 tabular-nums" data-testid="rollout-done">
                {done.toLocaleString('en-US')}
                <span className="text-lg font-normal text-slate-400"> / {r.deviceCount.toLocaleString('en-US')}</span>
              </p>
            </div>
            <div className="text-right">
              <p className="text-sm text-slate-500">Phase</p>
              <p className="mt-0.5 text-lg font-semibold text-slate-900 tabular-nums" data-testid="rollout-phase">
                {phaseLabel(r.currentPhase, r.phaseCount, r.status)}
              </p>
            </div>
          </div>
          <div className="mt-4">
            <ProgressBar counts={r.counts} total={r.deviceCount} testId="rollout-progress" />
          </div>
          <div className="mt-3">
            <ProgressLegend counts={r.counts} />
          </div>
          <div className="mt-5 border-t border-slate-100 pt-4">
            <p className="mb-2 text-xs font-medium text-slate-500">By state (select one to filter the devices)</p>
            <StateCounts counts={r.counts} active={filter} onPick={setFilter} />
          </div>
        </Card>

        <div className="grid gap-6 lg:grid-cols-3">
          <div className="min-w-0 space-y-6 lg:col-span-2">
            <PhasesCard phases={r.phases} />
            <RolloutDevices
              id={r.id}
              initialPage={initialDevices}
              phaseLabels={phaseLabels}
              filter={filter}
              onFilter={setFilter}
              refetchInterval={live ? LIVE_MS : false}
              now={now}
            />
          </div>
          <div className="min-w-0 space-y-6">
            <EventTimeline events={r.events} now={now} />
            <RolloutSettings rollout={r} />
          </div>
        </div>
      </div>
    </>
  );
}
