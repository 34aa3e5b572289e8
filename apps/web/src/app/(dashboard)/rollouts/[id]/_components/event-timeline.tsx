import {
  CircleCheck,
  CirclePause,
  CirclePlay,
  CircleStop,
  CircleX,
  Flag,
  type LucideIcon,
  Rocket,
  ShieldAlert,
  Undo2,
} from 'lucide-react';
import { Card, CardHeader } from '@/components/card';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { RolloutDetail } from '@/lib/router-types';

const KIND: Record<string, { icon: LucideIcon; colour: string }> = {
  created: { icon: Rocket, colour: 'bg-indigo-50 text-indigo-600 ring-indigo-200' },
  phase_started: { icon: Flag, colour: 'bg-indigo-50 text-indigo-600 ring-indigo-200' },
  phase_passed: { icon: CircleCheck, colour: 'bg-emerald-50 text-emerald-600 ring-emerald-200' },
  completed: { icon: CircleCheck, colour: 'bg-emerald-50 text-emerald-600 ring-emerald-200' },
  gate_tripped: { icon: ShieldAlert, colour: 'bg-red-50 text-red-600 ring-red-200' },
  failed: { icon: CircleX, colour: 'bg-red-50 text-red-600 ring-red-200' },
  paused: { icon: CirclePause, colour: 'bg-amber-50 text-amber-600 ring-amber-200' },
  resumed: { icon: CirclePlay, colour: 'bg-indigo-50 text-indigo-600 ring-indigo-200' },
  aborted: { icon: CircleStop, colour: 'bg-slate-100 text-slate-600 ring-slate-200' },
  rolled_back: { icon: Undo2, colour: 'bg-amber-50 text-amber-600 ring-amber-200' },
};
const OTHER = { icon: Flag, colour: 'bg-slate-100 text-slate-500 ring-slate-200' };

/** What happened to the rollout, newest first: who or what (the engine) did it, and why. */
export function EventTimeline({ events, now }: { events: RolloutDetail['events']; now: number }) {
  const ordered = [...events].sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime());
  return (
    <Card>
      <CardHeader title="Events" />
      {ordered.length === 0 ? (
        <p className="px-5 py-8 text-center text-sm text-slate-400">No events yet.</p>
      ) : (
        <ol className="px-5 py-4" data-testid="rollout-events">
          {ordered.map((e, i) => {
            const k = KIND[e.kind] ?? OTHER;
            return (
              <li
                key={e.id}
                className="relative flex gap-3 pb-5 last:pb-0"
                data-testid="rollout-event"
                data-kind={e.kind}
              >
                {i < ordered.length - 1 ? (
                  <span className="absolute top-8 bottom-0 left-3.5 w-px bg-slate-200" aria-hidden="true" />
                ) : null}
                <span
                  className={`relative flex size-7 shrink-0 items-center justify-center rounded-full ring-1 ring-inset ${k.colour}`}
                >
                  <k.icon className="size-3.5" aria-hidden="true" />
                </span>
                <div className="min-w-0 pt-0.5">
                  <p className="text-sm text-slate-900">{e.message}</p>
                  <p className="mt-0.5 text-xs text-slate-500" title={formatDateTime(e.at)}>
                    {timeAgo(e.at, now)}
                    {e.actor ? ` · ${e.actor}` : ''}
                  </p>
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}
