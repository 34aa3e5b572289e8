'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Ticket } from 'lucide-react';
import { Badge, type BadgeTone } from '@/components/badge';
import { ConfirmButton } from '@/components/confirm-button';
import { formatDate, formatDateTime } from '@/lib/format';
import type { EnrollTokenView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

const STATUS_TONE: Record<string, BadgeTone> = { active: 'green', revoked: 'red', expired: 'amber', used_up: 'slate' };
const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';

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
      <div className="flex flex-col items-center px-6 py-12 text-center" data-testid="enroll-tokens-empty">
        <Ticket className="size-8 text-slate-300" aria-hidden="true" />
        <p className="mt-3 text-sm font-medium text-slate-900">No enrollment tokens yet</p>
        <p className="mt-1 text-sm text-slate-500">
          {canWrite ? 'Create one above to enroll your first devices.' : 'Tokens operators create will be listed here.'}
        </p>
      </div>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="enroll-tokens-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Name</th>
            <th className={th}>Group &amp; tags</th>
            <th className={th}>Approval</th>
            <th className={th}>Uses</th>
            <th className={th}>Created</th>
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
          {tokens.map((t) => (
            <tr key={t.id} data-testid="enroll-token-row" data-token-name={t.name} className="hover:bg-slate-50/60">
              <td className={td}>
                <div className="font-medium text-slate-900">{t.name}</div>
                <div className="mt-0.5 font-mono text-xs text-slate-500">{t.prefix}…</div>
              </td>
              <td className={`${td} max-w-xs`}>
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
              <td className={td}>{approval(t)}</td>
              <td className={`${td} whitespace-nowrap text-slate-700 tabular-nums`} data-testid="enroll-token-uses">
                {t.uses} / {t.maxUses ?? '∞'}
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDate(t.createdAt)}</td>
              <td className={`${td} whitespace-nowrap text-slate-600`}>
                {t.expiresAt ? formatDateTime(t.expiresAt) : <span className="text-slate-400">never</span>}
              </td>
              <td className={td}>
                <Badge tone={STATUS_TONE[t.status] ?? 'slate'} data-testid="enroll-token-status">
                  {t.status.replace('_', ' ')}
                </Badge>
              </td>
              {canWrite ? (
                <td className={`${td} text-right`}>{t.status === 'revoked' ? null : <RevokeCell token={t} />}</td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
