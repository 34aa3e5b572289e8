'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ChevronLeft, ChevronRight, Cpu, LoaderCircle } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { buttonStyles, inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { RolloutDevicePage } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { OnlineDot } from '../../../devices/_components/device-status-badge';
import { DeviceStateBadge } from '../../_components/rollout-status-badge';
import { type DeviceState, label, ROLLOUT_DEVICE_STATES } from '../../_components/states';
import { DEVICE_PAGE_SIZE } from './page-size';

export function RolloutDevices({
  id,
  initialPage,
  phaseLabels,
  filter,
  onFilter,
  refetchInterval,
  now,
}: {
  id: string;
  initialPage: RolloutDevicePage;
  phaseLabels: Map<number, string>;
  filter: DeviceState | null;
  onFilter: (s: DeviceState | null) => void;
  refetchInterval: number | false;
  now: number;
}) {
  const trpc = useTRPC();
  // Keyset paging: the cursors of the pages before this one, so Previous needs no offset.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  const first = cursor === null && filter === null;
  const page = useQuery({
    ...trpc.rollouts.devices.queryOptions({
      id,
      limit: DEVICE_PAGE_SIZE,
      cursor,
      ...(filter ? { state: [filter] } : {}),
    }),
    initialData: first ? initialPage : undefined,
    placeholderData: keepPreviousData,
    refetchInterval,
  });
  const pick = (s: DeviceState | null) => {
    setCursors([null]);
    onFilter(s);
  };
  const items = page.data?.items ?? [];
  const from = (cursors.length - 1) * DEVICE_PAGE_SIZE + 1;

  return (
    <Card>
      <CardHeader
        title="Devices"
        description="In rollout order. The reason says what a device is waiting for or why it failed."
        action={
          <div className="flex items-center gap-2">
            <label htmlFor="device-state-filter" className="text-sm text-slate-600">
              State
            </label>
            <select
              id="device-state-filter"
              value={filter ?? ''}
              onChange={(e) => pick((e.target.value || null) as DeviceState | null)}
              className={`${inputStyles} w-44`}
            >
              <option value="">All states</option>
              {ROLLOUT_DEVICE_STATES.map((s) => (
                <option key={s} value={s}>
                  {label(s)}
                </option>
              ))}
            </select>
          </div>
        }
      />
      {page.error ? (
        <div className="px-5 py-4">
          <Alert tone="error">{page.error.message}</Alert>
        </div>
      ) : null}
      {page.isPending ? (
        <div className="flex items-center justify-center gap-2 px-5 py-12 text-sm text-slate-500">
          <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> Loading devices…
        </div>
      ) : items.length === 0 ? (
        <TableEmpty
          icon={Cpu}
          title={filter ? `No device is ${label(filter)}` : 'No devices'}
          testId="rollout-devices-empty"
        >
          {filter ? (
            <button
              type="button"
              className="font-medium text-indigo-600 hover:text-indigo-500"
              onClick={() => pick(null)}
            >
              Show all states
            </button>
          ) : null}
        </TableEmpty>
      ) : (
        <DataTable
          testId="rollout-devices"
          head={
            <>
              <th className={tableHeadCell}>Device</th>
              <th className={tableHeadCell}>Phase</th>
              <th className={tableHeadCell}>State</th>
              <th className={tableHeadCell}>Previous</th>
              <th className={tableHeadCell}>Connection</th>
              <th className={tableHeadCell}>Changed</th>
            </>
          }
        >
          {items.map((d) => (
            <tr key={d.deviceId} data-testid="rollout-device-row" data-device-id={d.deviceId} data-state={d.state}>
              <td className={tableCell}>
                <Link href={`/devices/${d.deviceId}`} className="font-medium text-slate-900 hover:text-indigo-600">
                  {d.deviceName}
                </Link>
                <div className="mt-0.5 font-mono text-xs text-slate-500">{d.deviceId}</div>
              </td>
              <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
                {phaseLabels.get(d.phase) ?? d.phase + 1}
                {d.shadow ? (
                  <div className="mt-1">
                    <Badge tone="indigo">shadow</Badge>
                  </div>
                ) : null}
              </td>
              <td className={`${tableCell} max-w-sm min-w-52`}>
                <DeviceStateBadge state={d.state} />
                {d.attempts > 1 ? <span className="ml-2 text-xs text-slate-500">attempt {d.attempts}</span> : null}
                {d.reason ? (
                  <div
                    className={`mt-1 text-xs ${d.state === 'failed' || d.state === 'timed_out' ? 'text-red-700' : 'text-slate-500'}`}
                    data-testid="device-reason"
                  >
                    {d.reason}
                  </div>
                ) : null}
              </td>
              <td className={`${tableCell} font-mono text-xs whitespace-nowrap text-slate-600`}>
                {d.previousVersion ?? <span className="font-sans text-slate-400">none</span>}
              </td>
              <td className={`${tableCell} whitespace-nowrap`}>
                <span className="flex items-center gap-2">
                  <OnlineDot online={d.online} />
                  <span className={d.online ? 'font-medium text-emerald-700' : 'text-slate-600'}>
                    {d.online ? 'online' : 'offline'}
                  </span>
                </span>
                {!d.online ? (
                  <div className="mt-0.5 text-xs text-slate-500" title={formatDateTime(d.lastSeenAt)}>
                    {d.lastSeenAt ? `last seen ${timeAgo(d.lastSeenAt, now)}` : 'never seen'}
                  </div>
                ) : null}
              </td>
              <td className={`${tableCell} whitespace-nowrap text-slate-600`} title={formatDateTime(d.stateChangedAt)}>
                {timeAgo(d.stateChangedAt, now)}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav
        aria-label="Device pages"
        className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-5 py-3"
        data-testid="rollout-device-pagination"
      >
        <p className="text-sm text-slate-600">
          {items.length === 0 ? (
            'No devices'
          ) : (
            <>
              Showing <span className="font-medium tabular-nums">{from.toLocaleString('en-US')}</span>–
              <span className="font-medium tabular-nums">{(from + items.length - 1).toLocaleString('en-US')}</span>
            </>
          )}
        </p>
        <div className="flex gap-2">
          <button
            type="button"
            className={buttonStyles.secondary}
            disabled={cursors.length === 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            <ChevronLeft className="size-4" aria-hidden="true" /> Previous
          </button>
          <button
            type="button"
            className={buttonStyles.secondary}
            disabled={page.data?.nextCursor == null || page.isPlaceholderData}
            onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? null])}
          >
            Next <ChevronRight className="size-4" aria-hidden="true" />
          </button>
        </div>
      </nav>
    </Card>
  );
}
