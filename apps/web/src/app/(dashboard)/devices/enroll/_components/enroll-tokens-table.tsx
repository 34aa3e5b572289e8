'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Ticket } from 'lucide-react';
import { Badge, type BadgeTone } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { ActionsHead, DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDate, formatDateTime } from '@/lib/format';
import type { EnrollTokenView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

const STATUS_TONE: Record<string, BadgeTone> = { active: 'green', revoked: 'red', expired: 'amber', used_up: 'slate' };

function RevokeCell({ token }: { token: EnrollTokenView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const revoke = useMutation(
    trpc.enrollTokens.revoke.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.enrollTokens.list.queryKey() }),
    }),
  );
  return (
    <ConfirmButton
      label="Revoke"
      question={`Revoke “${token.name}”? Enrolled devices keep working.`}
      confirmLabel="Confirm revoke"
      busyLabel="Revoking…"
      pending={revoke.isPending}
      error={revoke.error?.message}
      onConfirm={() => revoke.mutate({ id: token.id })}
    />
  );
}

function approval(t: EnrollTokenView) {
  if (t.preauthorizedOnly) return <Badge tone="indigo">pre-authorized only</Badge>;
  return t.autoApprove ? <Badge tone="green">auto-approve</Badge> : <Badge>manual approval</Badge>;
}

export function EnrollTokensTable({
  initialTokens,
  canWrite,
}: {
  initialTokens: EnrollTokenView[];
  canWrite: boolean;
}) {
  const trpc = useTRPC();
  const { data: tokens } = useQuery({ ...trpc.enrollTokens.list.queryOptions(), initialData: initialTokens });
  if (tokens.length === 0) {
    return (
      <TableEmpty icon={Ticket} title="No enrollment tokens yet" testId="enroll-tokens-empty">
        {canWrite ? 'Create one above to enroll your first devices.' : 'Tokens operators create will be listed here.'}
      </TableEmpty>
    );
  }
  return (
    <DataTable
      testId="enroll-tokens-table"
      head={
        <>
          <th className={tableHeadCell}>Name</th>
          <th className={tableHeadCell}>Group &amp; tags</th>
          <th className={tableHeadCell}>Approval</th>
          <th className={tableHeadCell}>Uses</th>
          <th className={tableHeadCell}>Created</th>
          <th className={tableHeadCell}>Expires</th>
          <th className={tableHeadCell}>Status</th>
          {canWrite ? <ActionsHead /> : null}
        </>
      }
    >
      {tokens.map((t) => (
        <tr key={t.id} data-testid="enroll-token-row" data-token-name={t.name} className="hover:bg-slate-50/60">
          <td className={tableCell}>
            <div className="font-medium text-slate-900">{t.name}</div>
            <div className="mt-0.5 font-mono text-xs text-slate-500">{t.prefix}…</div>
          </td>
          <td className={`${tableCell} max-w-xs`}>
            <div className="text-slate-700">{t.group}</div>
            {Object.keys(t.tags).length ? (
              <div className="mt-1 flex flex-wrap gap-1">
                {Object.entries(t.tags).map(([k, v]) => (
                  <Badge key={k} tone="indigo" mono>
                    {k}={v}
                  </Badge>
                ))}
              </div>
            ) : null}
          </td>
          <td className={tableCell}>{approval(t)}</td>
          <td className={`${tableCell} whitespace-nowrap text-slate-700 tabular-nums`} data-testid="enroll-token-uses">
            {t.uses} / {t.maxUses ?? '∞'}
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDate(t.createdAt)}</td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
            {t.expiresAt ? formatDateTime(t.expiresAt) : <span className="text-slate-400">never</span>}
          </td>
          <td className={tableCell}>
            <Badge tone={STATUS_TONE[t.status] ?? 'slate'} data-testid="enroll-token-status">
              {t.status.replace('_', ' ')}
            </Badge>
          </td>
          {canWrite ? (
            <td className={`${tableCell} text-right`}>{t.status === 'revoked' ? null : <RevokeCell token={t} />}</td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}
