import Link from 'next/link';
import { Badge } from '@/components/badge';
import { Card, CardHeader } from '@/components/card';
import { RelativeTime } from '@/components/relative-time';
import { OnlineDot } from '../../devices/_components/device-status-badge';
import type { ProblemDevice } from './types';

function DeviceRow({ d, serverNow }: { d: ProblemDevice; serverNow: number }) {
  return (
    <li data-testid="problem-device" data-device-id={d.id}>
      <Link href={`/devices/${d.id}`} className="flex items-center gap-3 px-5 py-2.5 hover:bg-slate-50/60">
        <OnlineDot online={d.online} />
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-medium text-slate-900">{d.name}</p>
          <p className="truncate text-xs text-slate-500">
            {d.group ?? 'no group'} ·{' '}
            {d.online ? (
              'online'
            ) : (
              <RelativeTime date={d.lastSeenAt} serverNow={serverNow} prefix="last seen" never="never seen" />
            )}
          </p>
        </div>
        {d.firing > 0 ? (
          <Badge tone={d.severity === 'critical' ? 'red' : d.severity === 'warning' ? 'amber' : 'slate'}>
            {d.firing} {d.severity ?? ''}
          </Badge>
        ) : null}
      </Link>
    </li>
  );
}

/** Rows shown per list; the full lists are a link away. */
const SHOWN = 6;

function Section({
  title,
  devices,
  empty,
  serverNow,
  testId,
  more,
}: {
  title: string;
  devices: ProblemDevice[];
  empty: string;
  serverNow: number;
  testId: string;
  more: { href: string; label: string } | null;
}) {
  return (
    <div data-testid={testId}>
      <h3 className="border-y border-slate-100 bg-slate-50/80 px-5 py-1.5 text-xs font-medium tracking-wide text-slate-500 uppercase">
        {title}
      </h3>
      {devices.length === 0 ? (
        <p className="px-5 py-4 text-sm text-slate-400">{empty}</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {devices.slice(0, SHOWN).map((d) => (
            <DeviceRow key={d.id} d={d} serverNow={serverNow} />
          ))}
        </ul>
      )}
      {more ? (
        <Link href={more.href} className="block px-5 py-2 text-xs font-medium text-indigo-600 hover:text-indigo-500">
          {more.label}
        </Link>
      ) : null}
    </div>
  );
}

/** The worst alerting devices and the ones that dropped off most recently. */
export function ProblemDevices({
  problems,
  offlineTotal,
  serverNow,
}: {
  problems: { alerting: ProblemDevice[]; offline: ProblemDevice[] };
  offlineTotal: number;
  serverNow: number;
}) {
  return (
    <Card>
      <CardHeader title="Devices needing attention" />
      <Section
        title="Firing alerts"
        devices={problems.alerting}
        empty="No device has a firing alert."
        serverNow={serverNow}
        testId="problems-alerting"
        more={problems.alerting.length > 0 ? { href: '/alerts', label: 'All alerts →' } : null}
      />
      <Section
        title="Recently offline"
        devices={problems.offline}
        empty="No device is offline."
        serverNow={serverNow}
        testId="problems-offline"
        more={
          offlineTotal > Math.min(problems.offline.length, SHOWN)
            ? {
                href: '/devices?status=accepted&sort=seen&order=asc',
                label: `${offlineTotal.toLocaleString('en-US')} offline in all →`,
              }
            : null
        }
      />
    </Card>
  );
}
