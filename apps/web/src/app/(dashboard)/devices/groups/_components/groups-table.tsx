'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FolderTree } from 'lucide-react';
import Link from 'next/link';
import { Badge } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { ActionsHead, DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDate } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { type GroupView, groupDevicesHref } from './selector';

function DeleteCell({ group }: { group: GroupView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const remove = useMutation(
    trpc.groups.delete.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.groups.list.queryKey() }),
    }),
  );
  const effect =
    group.kind === 'static' && group.deviceCount > 0
      ? `Its ${group.deviceCount} device${group.deviceCount === 1 ? '' : 's'} will have no group.`
      : 'No device is changed.';
  return (
    <ConfirmButton
      label="Delete"
      question={`Delete “${group.name}”? ${effect}`}
      confirmLabel="Confirm delete"
      busyLabel="Deleting…"
      pending={remove.isPending}
      error={remove.error?.message}
      onConfirm={() => remove.mutate({ id: group.id })}
    />
  );
}

export function GroupsTable({ initialGroups, canWrite }: { initialGroups: GroupView[]; canWrite: boolean }) {
  const trpc = useTRPC();
  const { data: groups } = useQuery({ ...trpc.groups.list.queryOptions(), initialData: initialGroups });
  if (groups.length === 0) {
    return (
      <TableEmpty icon={FolderTree} title="No groups yet" testId="groups-empty">
        {canWrite
          ? 'Create one above, or name a group on an enrollment token.'
          : 'Groups operators create will be listed here.'}
      </TableEmpty>
    );
  }
  return (
    <DataTable
      testId="groups-table"
      head={
        <>
          <th className={tableHeadCell}>Name</th>
          <th className={tableHeadCell}>Kind</th>
          <th className={tableHeadCell}>Membership</th>
          <th className={`${tableHeadCell} text-right`}>Devices</th>
          <th className={tableHeadCell}>Created</th>
          {canWrite ? <ActionsHead /> : null}
        </>
      }
    >
      {groups.map((g) => (
        <tr key={g.id} data-testid="group-row" data-group-name={g.name} className="hover:bg-slate-50/60">
          <td className={tableCell}>
            <div className="font-medium text-slate-900">{g.name}</div>
            <div className="mt-0.5 font-mono text-xs text-slate-500">{g.id}</div>
          </td>
          <td className={tableCell}>
            <Badge tone={g.kind === 'dynamic' ? 'indigo' : 'slate'} data-testid="group-kind">
              {g.kind}
            </Badge>
          </td>
          <td className={`${tableCell} max-w-md`}>
            {g.selector ? (
              <div className="flex flex-wrap gap-1" data-testid="group-selector">
                {Object.entries(g.selector).map(([k, v]) => (
                  <Badge key={k} tone="indigo" mono>
                    {k}={v}
                  </Badge>
                ))}
              </div>
            ) : (
              <span className="text-slate-500">Assigned devices</span>
            )}
          </td>
          <td className={`${tableCell} text-right tabular-nums`}>
            <Link
              href={groupDevicesHref(g.name)}
              className="font-medium text-indigo-600 hover:text-indigo-500"
              data-testid="group-device-count"
            >
              {g.deviceCount.toLocaleString('en')}
            </Link>
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDate(g.createdAt)}</td>
          {canWrite ? (
            <td className={`${tableCell} text-right`}>
              <DeleteCell group={g} />
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}
