'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import {
  Bell,
  BellOff,
  CircleCheck,
  CircleX,
  Download,
  Eye,
  FileText,
  type LucideIcon,
  Plug,
  Power,
  PowerOff,
  RotateCcw,
  TriangleAlert,
  Undo2,
  Unplug,
} from 'lucide-react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { Card, CardHeader } from '@/components/card';
import { RelativeTime } from '@/components/relative-time';
import { Skeleton } from '@/components/skeleton';
import { useTRPC } from '@/lib/trpc';

const PAGE = 25;
const REFRESH_MS = 15_000;

/** Icon per event kind; alert and diagnostics kinds are matched by prefix (alert_firing, …). */
function iconFor(kind: string): LucideIcon {
  const exact: Record<string, LucideIcon> = {
    install: Download,
    rollback: Undo2,
    crash_loop_revert: RotateCcw,
    connected: Plug,
    disconnected: Unplug,
    agent_started: Power,
    agent_stopped: PowerOff,
    shadow: Eye,
    error: CircleX,
    anomaly: TriangleAlert,
  };
  if (exact[kind]) return exact[kind];
  if (kind.startsWith('alert')) return kind.includes('resolv') ? BellOff : Bell;
  if (kind.startsWith('diagnostics')) return FileText;
  return CircleCheck;
}

const SEVERITY: Record<string, string> = {
  info: 'bg-slate-100 text-slate-600 ring-slate-200',
  warning: 'bg-amber-50 text-amber-600 ring-amber-200',
  error: 'bg-red-50 text-red-600 ring-red-200',
  critical: 'bg-red-50 text-red-600 ring-red-200',
};

const kindLabel = (kind: string) => kind.replaceAll('_', ' ');

/** What happened on or to the device, newest first; polls for new events, pages back on demand. */
export function DeviceEvents({ deviceId, serverNow }: { deviceId: string; serverNow: number }) {
  const trpc = useTRPC();
  const query = useInfiniteQuery({
    ...trpc.health.events.infiniteQueryOptions(
      { deviceId, limit: PAGE },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
    refetchInterval: REFRESH_MS,
  });
  const events = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Card>
      <CardHeader title="Events" description="Installs, rollbacks, connections and alerts." />
      {query.error ? (
        <div className="px-5 pt-4">
          <Alert tone={query.data ? 'warning' : 'error'}>
            {query.data ? 'Could not refresh events: ' : 'Could not load events: '}
            {query.error.message}
          </Alert>
        </div>
      ) : null}
      {query.isPending ? (
        <div className="space-y-4 px-5 py-4" role="status" aria-label="Loading events">
          {[0, 1, 2].map((i) => (
            <div key={i} className="flex gap-3">
              <Skeleton className="size-7 rounded-full" />
              <div className="flex-1 space-y-2">
                <Skeleton className="h-4 w-4/5" />
                <Skeleton className="h-3 w-1/3" />
              </div>
            </div>
          ))}
        </div>
      ) : events.length === 0 ? (
        query.error ? null : (
          <p className="px-5 py-8 text-center text-sm text-slate-400" data-testid="device-events-empty">
            No events yet. The agent reports installs, restarts and errors as they happen.
          </p>
        )
      ) : (
        <>
          <ol className="px-5 py-4" data-testid="device-events">
            {events.map((e, i) => {
              const Icon = iconFor(e.kind);
              return (
                <li
                  key={e.id}
                  className="relative flex gap-3 pb-5 last:pb-0"
                  data-testid="device-event"
                  data-kind={e.kind}
                  data-severity={e.severity}
                >
                  {i < events.length - 1 ? (
                    <span className="absolute top-8 bottom-0 left-3.5 w-px bg-slate-200" aria-hidden="true" />
                  ) : null}
                  <span
                    className={`relative flex size-7 shrink-0 items-center justify-center rounded-full ring-1 ring-inset ${SEVERITY[e.severity] ?? SEVERITY.info}`}
                    title={`${e.severity} · ${e.source}`}
                  >
                    <Icon className="size-3.5" aria-hidden="true" />
                  </span>
                  <div className="min-w-0 pt-0.5">
                    <p className="text-sm break-words text-slate-900">{e.message}</p>
                    <p className="mt-1 flex flex-wrap items-center gap-x-1.5 gap-y-1 text-xs text-slate-500">
                      <RelativeTime date={e.ts} serverNow={serverNow} />
                      <span aria-hidden="true">·</span>
                      <span>{kindLabel(e.kind)}</span>
                      {e.model ? (
                        <Badge mono>
                          {e.model}
                          {e.version ? `@${e.version}` : ''}
                        </Badge>
                      ) : null}
                      {e.severity !== 'info' ? (
                        <Badge tone={e.severity === 'warning' ? 'amber' : 'red'}>{e.severity}</Badge>
                      ) : null}
                    </p>
                  </div>
                </li>
              );
            })}
          </ol>
          {query.hasNextPage ? (
            <div className="border-t border-slate-100 px-5 py-3 text-center">
              <button
                type="button"
                className="text-sm font-medium text-indigo-600 hover:text-indigo-500 disabled:text-slate-400"
                disabled={query.isFetchingNextPage}
                onClick={() => void query.fetchNextPage()}
              >
                {query.isFetchingNextPage ? 'Loading…' : 'Show older events'}
              </button>
            </div>
          ) : null}
        </>
      )}
    </Card>
  );
}
