import Link from 'next/link';
import { Card, CardHeader } from '@/components/card';
import { phaseLabel } from '../../rollouts/_components/phase-label';
import { ProgressBar } from '../../rollouts/_components/progress-bar';
import { RolloutStatusBadge } from '../../rollouts/_components/rollout-status-badge';
import type { FleetOverview } from './types';

const n = (v: number) => v.toLocaleString('en-US');

/** Running and paused rollouts with their progress; each links to its page. */
export function ActiveRollouts({ rollouts }: { rollouts: FleetOverview['rollouts'] }) {
  const more = rollouts.active - rollouts.items.length;
  return (
    <Card>
      <CardHeader
        title="Active rollouts"
        description="Running and paused."
        action={
          <Link href="/rollouts" className="text-sm font-medium text-indigo-600 hover:text-indigo-500">
            All rollouts
          </Link>
        }
      />
      {rollouts.items.length === 0 ? (
        <p className="px-5 py-8 text-center text-sm text-slate-400">No rollout is running.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="active-rollouts">
          {rollouts.items.map((r) => {
            const done = r.counts.succeeded ?? 0;
            const failed = (r.counts.failed ?? 0) + (r.counts.timed_out ?? 0);
            return (
              <li key={r.id} data-testid="active-rollout" data-rollout-id={r.id}>
                <Link href={`/rollouts/${r.id}`} className="block px-5 py-3.5 hover:bg-slate-50/60">
                  <div className="flex items-center justify-between gap-3">
                    <span className="truncate font-mono text-sm font-medium text-slate-900">
                      {r.model}@{r.version}
                    </span>
                    <RolloutStatusBadge status={r.status} />
                  </div>
                  <div className="mt-2">
                    <ProgressBar counts={r.counts} total={r.deviceCount} size="sm" />
                  </div>
                  <p className="mt-1.5 text-xs text-slate-500 tabular-nums">
                    <span className="font-medium text-slate-700">{n(done)}</span> of {n(r.deviceCount)} updated
                    {failed > 0 ? <span className="text-red-700"> · {n(failed)} failed</span> : null}
                    <span>
                      {' '}
                      · {r.phaseCount > 1 && r.currentPhase >= 0 ? 'phase ' : ''}
                      {phaseLabel(r.currentPhase, r.phaseCount, r.status)}
                    </span>
                  </p>
                </Link>
              </li>
            );
          })}
          {more > 0 ? (
            <li className="px-5 py-3 text-center text-sm">
              <Link href="/rollouts?status=running" className="font-medium text-indigo-600 hover:text-indigo-500">
                {n(more)} more
              </Link>
            </li>
          ) : null}
        </ul>
      )}
    </Card>
  );
}
