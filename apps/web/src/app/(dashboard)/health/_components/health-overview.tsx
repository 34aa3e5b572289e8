'use client';

import { useQuery } from '@tanstack/react-query';
import { Alert } from '@/components/alert';
import { PageHeader } from '@/components/page-header';
import { RelativeTime } from '@/components/relative-time';
import { useTRPC } from '@/lib/trpc';
import { ActiveRollouts } from './active-rollouts';
import { GroupMap } from './group-map';
import { HealthEmpty } from './health-empty';
import { ModelsInService } from './models-in-service';
import { ProblemDevices } from './problem-devices';
import { StatCards } from './stat-cards';
import type { FleetOverview } from './types';

const REFRESH_MS = 10_000;

function Live({ at, serverNow, failing }: { at: Date; serverNow: number; failing: boolean }) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-500" data-testid="health-updated">
      <span className="relative flex size-2">
        {failing ? null : (
          <span className="absolute inline-flex size-full animate-ping rounded-full bg-indigo-400 opacity-60" />
        )}
        <span className={`relative inline-flex size-2 rounded-full ${failing ? 'bg-slate-300' : 'bg-indigo-500'}`} />
      </span>
      <span>
        updated <RelativeTime date={at} serverNow={serverNow} />
      </span>
    </span>
  );
}

/** The fleet overview, polled every 10 s so the numbers move while the page is open. */
export function HealthOverview({ initial, serverNow }: { initial: FleetOverview; serverNow: number }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.health.overview.queryOptions(),
    initialData: initial,
    refetchInterval: REFRESH_MS,
    staleTime: 5_000,
  });
  const o = query.data;
  const header = (
    <PageHeader
      title="Health"
      description="Which devices are connected, what they run, which rollouts are moving and what is going wrong."
      actions={<Live at={o.generatedAt} serverNow={serverNow} failing={Boolean(query.error)} />}
    />
  );
  const error = query.error ? (
    <div className="mb-6">
      <Alert tone="warning">Live updates stopped: {query.error.message}. Showing the figures from before.</Alert>
    </div>
  ) : null;

  if (o.devices.accepted + o.devices.pending + o.devices.revoked === 0) {
    return (
      <>
        {header}
        {error}
        <HealthEmpty />
      </>
    );
  }
  return (
    <>
      {header}
      {error}
      <div className="space-y-6" data-testid="health-overview">
        <StatCards o={o} />
        <div className="grid gap-6 lg:grid-cols-3">
          <div className="min-w-0 space-y-6 lg:col-span-2">
            <GroupMap groups={o.groups} />
            <div className="grid gap-6 xl:grid-cols-2">
              <ActiveRollouts rollouts={o.rollouts} />
              <ModelsInService models={o.models} />
            </div>
          </div>
          <div className="min-w-0 space-y-6">
            <ProblemDevices problems={o.problems} offlineTotal={o.devices.offline} serverNow={serverNow} />
          </div>
        </div>
      </div>
    </>
  );
}
