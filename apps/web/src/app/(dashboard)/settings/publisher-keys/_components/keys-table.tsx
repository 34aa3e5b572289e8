'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeySquare } from 'lucide-react';
import { Badge } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { CopyButton } from '@/components/copy-button';
import { formatDate } from '@/lib/format';
import type { PublisherKeyView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';

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
      <div className="flex flex-col items-center px-6 py-12 text-center" data-testid="publisher-keys-empty">
        <KeySquare className="size-8 text-slate-300" aria-hidden="true" />
        <p className="mt-3 text-sm font-medium text-slate-900">No publisher keys yet</p>
        <p className="mt-1 max-w-md text-sm text-slate-500">
          Generate one in CI with{' '}
          <code className="font-mono text-xs">npx edgefleet keys generate --out publisher.key</code>
          {canWrite ? ', then paste publisher.key.pub above.' : ' and ask an admin to register its public half.'}
        </p>
      </div>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="publisher-keys-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Name</th>
            <th className={th}>Key id</th>
            <th className={th}>Added</th>
            <th className={th}>Status</th>
            {canWrite ? (
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {keys.map((k) => (
            <tr key={k.id} data-testid="publisher-key-row" data-key-name={k.name} className="hover:bg-slate-50/60">
              <td className={`${td} font-medium text-slate-900`}>{k.name}</td>
              <td className={td}>
                <span className="inline-flex items-center gap-1 font-mono text-xs text-slate-600" title={k.id}>
                  {k.id.slice(0, 16)}…
                  <CopyButton text={k.id} label="Copy key id" className="text-slate-400 hover:bg-slate-100" />
                </span>
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDate(k.createdAt)}</td>
              <td className={td}>
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
                <td className={`${td} text-right`}>{k.revokedAt ? null : <RevokeCell publisherKey={k} />}</td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
