'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeyRound } from 'lucide-react';
import { Badge, type BadgeTone } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { formatDate, formatDateTime, type TokenStatus, tokenStatus } from '@/lib/format';
import type { TokenView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

const STATUS_TONE: Record<TokenStatus, BadgeTone> = { active: 'green', revoked: 'red', expired: 'amber' };
const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';

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
      <div className="flex flex-col items-center px-6 py-12 text-center" data-testid="tokens-empty">
        <KeyRound className="size-8 text-slate-300" aria-hidden="true" />
        <p className="mt-3 text-sm font-medium text-slate-900">No API tokens yet</p>
        <p className="mt-1 text-sm text-slate-500">
          {canWrite ? 'Create one above for the CLI or a CI pipeline.' : 'Tokens you are given will be listed here.'}
        </p>
      </div>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="tokens-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Name</th>
            <th className={th}>Scopes</th>
            <th className={th}>Owner</th>
            <th className={th}>Created</th>
            <th className={th}>Last used</th>
            <th className={th}>Expires</th>
            <th className={th}>Status</th>
            {canWrite ? (
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {tokens.map((t) => {
            const status = tokenStatus(t);
            return (
              <tr key={t.id} data-testid="token-row" data-token-name={t.name} className="hover:bg-slate-50/60">
                <td className={td}>
                  <div className="font-medium text-slate-900">{t.name}</div>
                  <div className="mt-0.5 font-mono text-xs text-slate-500">{t.prefix}…</div>
                </td>
                <td className={`${td} max-w-xs`}>
                  <div className="flex flex-wrap gap-1">
                    {t.scopes.map((s) => (
                      <Badge key={s} tone="indigo" mono>
                        {s}
                      </Badge>
                    ))}
                  </div>
                </td>
                <td className={`${td} text-slate-600`}>{t.owner}</td>
                <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDate(t.createdAt)}</td>
                <td className={`${td} whitespace-nowrap text-slate-600`}>
                  {t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <span className="text-slate-400">never</span>}
                </td>
                <td className={`${td} whitespace-nowrap text-slate-600`}>
                  {t.expiresAt ? formatDate(t.expiresAt) : <span className="text-slate-400">never</span>}
                </td>
                <td className={td}>
                  <Badge tone={STATUS_TONE[status]} data-testid="token-status">
                    {status}
                  </Badge>
                </td>
                {canWrite ? (
                  <td className={`${td} text-right`}>{status === 'revoked' ? null : <RevokeCell token={t} />}</td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
