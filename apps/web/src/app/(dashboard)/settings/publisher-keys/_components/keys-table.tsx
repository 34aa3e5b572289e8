'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeySquare } from 'lucide-react';
import { Badge } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { CopyButton } from '@/components/copy-button';
import { ActionsHead, DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDate } from '@/lib/format';
import type { PublisherKeyView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

function RevokeCell({ publisherKey }: { publisherKey: PublisherKeyView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const revoke = useMutation(
    trpc.publisherKeys.revoke.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.publisherKeys.list.queryKey() }),
    }),
  );
  return (
    <ConfirmButton
      label="Revoke"
      question={`Revoke “${publisherKey.name}”? Its versions can no longer be rolled out.`}
      confirmLabel="Confirm revoke"
      busyLabel="Revoking…"
      pending={revoke.isPending}
      error={revoke.error?.message}
      onConfirm={() => revoke.mutate({ id: publisherKey.id })}
    />
  );
}

export function KeysTable({ keys, canWrite }: { keys: PublisherKeyView[]; canWrite: boolean }) {
  if (keys.length === 0) {
    return (
      <TableEmpty icon={KeySquare} title="No publisher keys yet" testId="publisher-keys-empty" textClassName="max-w-md">
        Generate one in CI with{' '}
        <code className="font-mono text-xs">npx edgefleet keys generate --out publisher.key</code>
        {canWrite ? ', then paste publisher.key.pub above.' : ' and ask an admin to register its public half.'}
      </TableEmpty>
    );
  }
  return (
    <DataTable
      testId="publisher-keys-table"
      head={
        <>
          <th className={tableHeadCell}>Name</th>
          <th className={tableHeadCell}>Key id</th>
          <th className={tableHeadCell}>Added</th>
          <th className={tableHeadCell}>Status</th>
          {canWrite ? <ActionsHead /> : null}
        </>
      }
    >
      {keys.map((k) => (
        <tr key={k.id} data-testid="publisher-key-row" data-key-name={k.name} className="hover:bg-slate-50/60">
          <td className={`${tableCell} font-medium text-slate-900`}>{k.name}</td>
          <td className={tableCell}>
            <span className="inline-flex items-center gap-1 font-mono text-xs text-slate-600" title={k.id}>
              {k.id.slice(0, 16)}…
              <CopyButton text={k.id} label="Copy key id" className="text-slate-400 hover:bg-slate-100" />
            </span>
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDate(k.createdAt)}</td>
          <td className={tableCell}>
            {k.revokedAt ? (
              <Badge tone="red" data-testid="publisher-key-status">
                revoked {formatDate(k.revokedAt)}
              </Badge>
            ) : (
              <Badge tone="green" data-testid="publisher-key-status">
                active
              </Badge>
            )}
          </td>
          {canWrite ? (
            <td className={`${tableCell} text-right`}>{k.revokedAt ? null : <RevokeCell publisherKey={k} />}</td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}
