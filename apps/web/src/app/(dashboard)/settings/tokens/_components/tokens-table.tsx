'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeyRound } from 'lucide-react';
import { Badge, type BadgeTone } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { ActionsHead, DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDate, formatDateTime, type TokenStatus, tokenStatus } from '@/lib/format';
import type { TokenView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

const STATUS_TONE: Record<TokenStatus, BadgeTone> = { active: 'green', revoked: 'red', expired: 'amber' };

function RevokeCell({ token }: { token: TokenView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }),
    }),
  );
  return (
    <ConfirmButton
      label="Revoke"
      question={`Revoke “${token.name}”? Clients using it stop working.`}
      confirmLabel="Confirm revoke"
      busyLabel="Revoking…"
      pending={revoke.isPending}
      error={revoke.error?.message}
      onConfirm={() => revoke.mutate({ id: token.id })}
    />
  );
}

export function TokensTable({ tokens, canWrite }: { tokens: TokenView[]; canWrite: boolean }) {
  if (tokens.length === 0) {
    return (
      <TableEmpty icon={KeyRound} title="No API tokens yet" testId="tokens-empty">
        {canWrite ? 'Create one above for the CLI or a CI pipeline.' : 'Tokens you are given will be listed here.'}
      </TableEmpty>
    );
  }
  return (
    <DataTable
      testId="tokens-table"
      head={
        <>
          <th className={tableHeadCell}>Name</th>
          <th className={tableHeadCell}>Scopes</th>
          <th className={tableHeadCell}>Owner</th>
          <th className={tableHeadCell}>Created</th>
          <th className={tableHeadCell}>Last used</th>
          <th className={tableHeadCell}>Expires</th>
          <th className={tableHeadCell}>Status</th>
          {canWrite ? <ActionsHead /> : null}
        </>
      }
    >
      {tokens.map((t) => {
        const status = tokenStatus(t);
        return (
          <tr key={t.id} data-testid="token-row" data-token-name={t.name} className="hover:bg-slate-50/60">
            <td className={tableCell}>
              <div className="font-medium text-slate-900">{t.name}</div>
              <div className="mt-0.5 font-mono text-xs text-slate-500">{t.prefix}…</div>
            </td>
            <td className={`${tableCell} max-w-xs`}>
              <div className="flex flex-wrap gap-1">
                {t.scopes.map((s) => (
                  <Badge key={s} tone="indigo" mono>
                    {s}
                  </Badge>
                ))}
              </div>
            </td>
            <td className={`${tableCell} text-slate-600`}>{t.owner}</td>
            <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDate(t.createdAt)}</td>
            <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
              {t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <span className="text-slate-400">never</span>}
            </td>
            <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
              {t.expiresAt ? formatDate(t.expiresAt) : <span className="text-slate-400">never</span>}
            </td>
            <td className={tableCell}>
              <Badge tone={STATUS_TONE[status]} data-testid="token-status">
                {status}
              </Badge>
            </td>
            {canWrite ? (
              <td className={`${tableCell} text-right`}>{status === 'revoked' ? null : <RevokeCell token={t} />}</td>
            ) : null}
          </tr>
        );
      })}
    </DataTable>
  );
}
