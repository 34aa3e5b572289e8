import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react';
import Link from 'next/link';
import { Badge } from '@/components/badge';
import { formatDate, formatDateTime, timeAgo } from '@/lib/format';
import type { DeviceSummary } from '@/lib/router-types';
import { DeviceActionButton } from './device-actions';
import { DeviceStatusBadge, OnlineDot } from './device-status-badge';
import { defaultOrder, type ListParams, listHref, type SortKey } from './list-params';

const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';
const DAY = 86_400_000;

function SortHeader({ params, sort, children }: { params: ListParams; sort: SortKey; children: string }) {
  const active = params.sort === sort;
  const order = active ? (params.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
  const Icon = !active ? ArrowUpDown : params.order === 'asc' ? ArrowUp : ArrowDown;
  return (
    <th className={th} aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <Link
        href={listHref(params, { sort, order })}
        className="group inline-flex items-center gap-1 hover:text-slate-800"
      >
        {children}
        <Icon
          className={`size-3.5 ${active ? 'text-indigo-600' : 'text-slate-300 group-hover:text-slate-400'}`}
          aria-hidden="true"
        />
      </Link>
    </th>
  );
}

function CertExpiry({ notAfter, now }: { notAfter: Date | null; now: number }) {
  if (!notAfter) return <span className="text-slate-400">none</span>;
  const left = new Date(notAfter).getTime() - now;
  const tone = left <= 0 ? 'text-red-700' : left < 30 * DAY ? 'text-amber-700' : 'text-slate-600';
  return (
    <span className={tone} title={formatDateTime(notAfter)}>
      {left <= 0 ? 'expired ' : ''}
      {formatDate(notAfter)}
    </span>
  );
}

export function DevicesTable({
  devices,
  params,
  canWrite,
  now,
}: {
  devices: DeviceSummary[];
  params: ListParams;
  canWrite: boolean;
  now: number;
}) {
  const showActions = canWrite && devices.some((d) => d.status === 'pending');
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="devices-table">
        <thead className="bg-slate-50">
          <tr>
            <SortHeader params={params} sort="name">
              Device
            </SortHeader>
            <th className={th}>Status</th>
            <th className={th}>Group &amp; tags</th>
            <SortHeader params={params} sort="seen">
              Last seen
            </SortHeader>
            <th className={th}>Cert expires</th>
            <th className={th}>Platform</th>
            <SortHeader params={params} sort="created">
              Enrolled
            </SortHeader>
            {showActions ? (
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {devices.map((d) => (
            <tr key={d.id} data-testid="device-row" data-device-id={d.id} className="hover:bg-slate-50/60">
              <td className={td}>
                <Link href={`/devices/${d.id}`} className="font-medium text-slate-900 hover:text-indigo-600">
                  {d.name}
                </Link>
                <div className="mt-0.5 font-mono text-xs text-slate-500">{d.id}</div>
              </td>
              <td className={td}>
                <DeviceStatusBadge status={d.status} />
              </td>
              <td className={`${td} max-w-xs`}>
                <div className="text-slate-700">{d.group ?? <span className="text-slate-400">no group</span>}</div>
                {Object.keys(d.tags).length ? (
                  <div className="mt-1 flex flex-wrap gap-1">
                    {Object.entries(d.tags).map(([k, v]) => (
                      <Badge key={k} tone="indigo" mono>
                        {k}={v}
                      </Badge>
                    ))}
                  </div>
                ) : null}
              </td>
              <td className={`${td} whitespace-nowrap`}>
                <span className="flex items-center gap-2" data-testid="device-online">
                  <OnlineDot online={d.online} />
                  <span className={d.online ? 'font-medium text-emerald-700' : 'text-slate-600'}>
                    {d.online ? 'online' : 'offline'}
                  </span>
                </span>
                <div className="mt-0.5 text-xs text-slate-500" title={formatDateTime(d.lastSeenAt)}>
                  {d.lastSeenAt ? `last seen ${timeAgo(d.lastSeenAt, now)}` : 'never seen'}
                </div>
              </td>
              <td className={`${td} whitespace-nowrap`}>
                <CertExpiry notAfter={d.certificateNotAfter} now={now} />
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600`}>
                <div>
                  {d.facts.os} · <span className="font-mono text-xs">{d.facts.arch}</span>
                </div>
                <div className="mt-0.5 text-xs text-slate-500">
                  agent {d.facts.agentVersion}
                  {d.facts.accelerators.length ? ` · ${d.facts.accelerators.map((a) => a.kind).join(', ')}` : ''}
                </div>
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600`} title={formatDateTime(d.createdAt)}>
                {timeAgo(d.createdAt, now)}
              </td>
              {showActions ? (
                <td className={`${td} text-right whitespace-nowrap`}>
                  {d.status === 'pending' ? (
                    <div className="flex flex-col items-end gap-1.5">
                      <DeviceActionButton id={d.id} name={d.name} action="approve" compact />
                      <DeviceActionButton id={d.id} name={d.name} action="reject" compact />
                    </div>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
