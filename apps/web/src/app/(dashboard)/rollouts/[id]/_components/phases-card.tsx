import { Badge, type BadgeTone } from '@/components/badge';
import { Card, CardHeader } from '@/components/card';
import type { RolloutDetail } from '@/lib/router-types';
import { ProgressBar } from '../../_components/progress-bar';
import { totalOf } from '../../_components/states';

type Phase = RolloutDetail['phases'][number];

const PHASE_TONE: Record<string, BadgeTone> = { pending: 'slate', active: 'indigo', soaking: 'amber', passed: 'green' };

/** `Phase 2 · 50%`; the shadow phase keeps core's own label (`shadow 5%`). */
export const phaseName = (index: number, label: string) => (index < 0 ? label : `Phase ${index + 1} · ${label}`);

function PhaseRow({ phase: p }: { phase: Phase }) {
  // Counts are the devices of this phase; `target` is cumulative (every phase up to this one).
  const size = totalOf(p.counts);
  const done = p.counts.succeeded ?? 0;
  const failed = (p.counts.failed ?? 0) + (p.counts.timed_out ?? 0);
  return (
    <li className="px-5 py-4" data-testid="phase-row" data-phase={p.index} data-status={p.status}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <span className={`text-sm font-medium ${p.status === 'pending' ? 'text-slate-500' : 'text-slate-900'}`}>
            {phaseName(p.index, p.label)}
          </span>
          <Badge tone={PHASE_TONE[p.status] ?? 'slate'} data-testid="phase-status">
            {p.status}
          </Badge>
        </div>
        <span className="text-xs text-slate-500 tabular-nums">
          <span className="font-medium text-slate-700">{done.toLocaleString('en-US')}</span> /{' '}
          {size.toLocaleString('en-US')} {p.index < 0 ? 'in the cohort' : 'updated'}
          {p.index >= 0 ? <span className="text-slate-400"> · {p.target.toLocaleString('en-US')} in total</span> : null}
          {failed ? <span className="text-red-700"> · {failed.toLocaleString('en-US')} failed</span> : null}
        </span>
      </div>
      <div className="mt-2">
        <ProgressBar counts={p.counts} testId="phase-progress" />
      </div>
    </li>
  );
}

/** One bar per phase (the shadow phase first when there is one), in the order the engine runs them. */
export function PhasesCard({ phases }: { phases: Phase[] }) {
  return (
    <Card>
      <CardHeader title="Phases" description="A phase starts when the one before has finished and soaked." />
      <ol className="divide-y divide-slate-100" data-testid="phases">
        {phases.map((p) => (
          <PhaseRow key={p.index} phase={p} />
        ))}
      </ol>
    </Card>
  );
}
