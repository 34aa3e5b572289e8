import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react';
import Link from 'next/link';
import { Badge } from '@/components/badge';
import { ActionsHead, DataTable, tableCell, tableHeadCell } from '@/components/table';
import { formatDate, formatDateTime, timeAgo } from '@/lib/format';
import type { DeviceSummary } from '@/lib/router-types';
import { DeviceActionButton } from './device-actions';
import { DeviceStatusBadge, OnlineDot } from './device-status-badge';
import { defaultOrder, type ListParams, listHref, type SortKey } from './list-params';

const DAY = 86_400_000;

function SortHeader({ params, sort, children }: { params: ListParams; sort: SortKey; children: string }) {
  const active = params.sort === sort;
  const order = active ? (params.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
  const Icon = !active ? ArrowUpDown : params.order === 'asc' ? ArrowUp : ArrowDown;
  return (
    <th
      className={tableHeadCell}
      aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined}
    >
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
    <DataTable
      testId="devices-table"
      head={
        <>
          <SortHeader params={params} sort="name">
            Device
          </SortHeader>
          <th className={tableHeadCell}>Status</th>
          <th className={tableHeadCell}>Group &amp; tags</th>
          <SortHeader params={params} sort="seen">
            Last seen
          </SortHeader>
          <th className={tableHeadCell}>Cert expires</th>
          <th className={tableHeadCell}>Platform</th>
          <SortHeader params={params} sort="created">
            Enrolled
          </SortHeader>
          {showActions ? <ActionsHead /> : null}
        </>
      }
    >
      {devices.map((d) => (
        <tr key={d.id} data-testid="device-row" data-device-id={d.id} className="hover:bg-slate-50/60">
          <td className={tableCell}>
            <Link href={`/devices/${d.id}`} className="font-medium text-slate-900 hover:text-indigo-600">
              {d.name}
            </Link>
            <div className="mt-0.5 font-mono text-xs text-slate-500">{d.id}</div>
          </td>
          <td className={tableCell}>
            <DeviceStatusBadge status={d.status} />
          </td>
          <td className={`${tableCell} max-w-xs`}>
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
          <td className={`${tableCell} whitespace-nowrap`}>
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
          <td className={`${tableCell} whitespace-nowrap`}>
            <CertExpiry notAfter={d.certificateNotAfter} now={now} />
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
            <div>
              {d.facts.os} · <span className="font-mono text-xs">{d.facts.arch}</span>
            </div>
            <div className="mt-0.5 text-xs text-slate-500">
              agent {d.facts.agentVersion}
              {d.facts.accelerators.length ? ` · ${d.facts.accelerators.map((a) => a.kind).join(', ')}` : ''}
            </div>
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`} title={formatDateTime(d.createdAt)}>
            {timeAgo(d.createdAt, now)}
          </td>
          {showActions ? (
            <td className={`${tableCell} text-right whitespace-nowrap`}>
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
    </DataTable>
  );
}
