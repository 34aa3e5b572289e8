import type { LucideIcon } from 'lucide-react';
import { Bell, CircleCheck, Hourglass, WifiOff } from 'lucide-react';
import Link from 'next/link';
import type { FleetOverview } from './types';

const n = (v: number) => v.toLocaleString('en-US');

function StatCard({
  href,
  label,
  value,
  icon: Icon,
  tone,
  testId,
  children,
}: {
  href: string;
  label: string;
  value: number;
  icon: LucideIcon;
  tone: 'green' | 'red' | 'amber' | 'slate';
  testId: string;
  children?: React.ReactNode;
}) {
  const iconTone = {
    green: 'bg-emerald-50 text-emerald-600',
    red: 'bg-red-50 text-red-600',
    amber: 'bg-amber-50 text-amber-600',
    slate: 'bg-slate-100 text-slate-500',
  }[tone];
  return (
    <Link
      href={href}
      data-testid={testId}
      className="group block rounded-lg bg-white px-5 py-4 shadow-sm ring-1 ring-slate-200 transition hover:ring-indigo-300"
    >
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="text-sm text-slate-500 group-hover:text-slate-700">{label}</p>
          <p className="mt-1 text-3xl font-semibold text-slate-900 tabular-nums" data-testid={`${testId}-value`}>
            {n(value)}
          </p>
        </div>
        <span className={`flex size-9 shrink-0 items-center justify-center rounded-full ${iconTone}`}>
          <Icon className="size-4.5" aria-hidden="true" />
        </span>
      </div>
      <div className="mt-2 min-h-5 text-xs text-slate-500">{children}</div>
    </Link>
  );
}

/** Online, offline, waiting for approval, firing alerts: each a link to the list behind it. */
export function StatCards({ o }: { o: FleetOverview }) {
  const { devices: d, alerts: a } = o;
  const onlineShare = d.accepted ? Math.round((d.online / d.accepted) * 100) : 0;
  return (
    <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <StatCard
        href="/devices?status=accepted"
        label="Online"
        value={d.online}
        icon={CircleCheck}
        tone="green"
        testId="stat-online"
      >
        <div className="flex items-center gap-2">
          <div className="h-1.5 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
            <div className="h-full rounded-full bg-emerald-500" style={{ width: `${onlineShare}%` }} />
          </div>
          <span className="tabular-nums">
            {onlineShare}% of {n(d.accepted)}
          </span>
        </div>
      </StatCard>
      <StatCard
        href="/devices?status=accepted&sort=seen&order=asc"
        label="Offline"
        value={d.offline}
        icon={WifiOff}
        tone={d.offline > 0 ? 'red' : 'slate'}
        testId="stat-offline"
      >
        {d.neverSeen > 0
          ? `${n(d.neverSeen)} never connected`
          : d.offline > 0
            ? 'Lost their connection'
            : 'Every device is connected'}
      </StatCard>
      <StatCard
        href="/devices?status=pending"
        label="Pending approval"
        value={d.pending}
        icon={Hourglass}
        tone={d.pending > 0 ? 'amber' : 'slate'}
        testId="stat-pending"
      >
        {d.revoked > 0 ? `${n(d.revoked)} revoked` : d.pending > 0 ? 'Waiting for an operator' : 'Nothing waiting'}
      </StatCard>
      <StatCard
        href="/alerts"
        label="Firing alerts"
        value={a.firingTotal}
        icon={Bell}
        tone={a.firing.critical > 0 ? 'red' : a.firingTotal > 0 ? 'amber' : 'slate'}
        testId="stat-alerts"
      >
        <span className="flex flex-wrap gap-x-3 gap-y-0.5">
          {a.firing.critical > 0 ? (
            <span className="font-medium text-red-700">{n(a.firing.critical)} critical</span>
          ) : null}
          {a.firing.warning > 0 ? (
            <span className="font-medium text-amber-700">{n(a.firing.warning)} warning</span>
          ) : null}
          {a.firing.info > 0 ? <span>{n(a.firing.info)} info</span> : null}
          {a.acknowledgedTotal > 0 ? <span>{n(a.acknowledgedTotal)} acknowledged</span> : null}
          {a.firingTotal === 0 && a.acknowledgedTotal === 0 ? <span>All quiet</span> : null}
        </span>
      </StatCard>
    </div>
  );
}
