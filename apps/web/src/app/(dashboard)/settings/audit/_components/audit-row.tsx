import { Badge } from '@/components/badge';
import { tableCell } from '@/components/table';
import { formatDateTime } from '@/lib/format';
import type { AuditEvent } from '@/lib/router-types';

/** The refusal reason of a failed event, when the detail carries one. */
function failureReason(detail: unknown): string | null {
  if (detail && typeof detail === 'object' && !Array.isArray(detail) && 'error' in detail) {
    const error = (detail as { error?: unknown }).error;
    return typeof error === 'string' ? error : null;
  }
  return null;
}

export function AuditRow({ event: e }: { event: AuditEvent }) {
  const reason = e.outcome === 'failure' ? failureReason(e.detail) : null;
  return (
    <tr data-testid="audit-row" data-action={e.action} data-outcome={e.outcome} className="hover:bg-slate-50/60">
      <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDateTime(e.at)}</td>
      <td className={tableCell}>
        <div className="text-slate-900">{e.actorLabel}</div>
        <div className="text-xs text-slate-400">{e.actorType}</div>
      </td>
      <td className={tableCell}>
        <span className="font-mono text-xs text-slate-800">{e.action}</span>
        {reason ? <div className="mt-0.5 text-xs text-red-700">{reason}</div> : null}
      </td>
      <td className={`${tableCell} text-slate-600`}>
        {e.targetType ? (
          <>
            <div>{e.targetType}</div>
            <div className="max-w-40 truncate font-mono text-xs text-slate-400" title={e.targetId ?? undefined}>
              {e.targetId}
            </div>
          </>
        ) : (
          <span className="text-slate-400">—</span>
        )}
      </td>
      <td className={tableCell}>
        <Badge tone={e.outcome === 'success' ? 'green' : 'red'} data-testid="audit-outcome">
          {e.outcome}
        </Badge>
      </td>
      <td className={`${tableCell} font-mono text-xs whitespace-nowrap text-slate-500`}>{e.ip ?? '—'}</td>
    </tr>
  );
}
