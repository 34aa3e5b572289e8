import Link from 'next/link';
import { DataTable, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime, timeAgo } from '@/lib/format';
import { AckButton } from './ack-button';
import { AlertStateBadge, SeverityBadge } from './badges';
import type { AlertView } from './types';

function Subject({ a }: { a: AlertView }) {
  const href = a.subjectType === 'rollout' ? `/rollouts/${a.subjectId}` : `/devices/${a.subjectId}`;
  return (
    <Link href={href} className="font-medium text-slate-900 hover:text-indigo-600">
      {a.subjectName ?? a.subjectId}
      <span className="ml-1.5 text-xs font-normal text-slate-500">{a.subjectType}</span>
    </Link>
  );
}

export function AlertsTable({ alerts, canWrite, now }: { alerts: AlertView[]; canWrite: boolean; now: number }) {
  return (
    <DataTable
      testId="alerts-table"
      head={
        <>
          <th className={tableHeadCell}>Severity</th>
          <th className={tableHeadCell}>Alert</th>
          <th className={tableHeadCell}>Subject</th>
          <th className={tableHeadCell}>State</th>
          <th className={tableHeadCell}>Fired</th>
          <th className={tableHeadCell}>
            <span className="sr-only">Actions</span>
          </th>
        </>
      }
    >
      {alerts.map((a) => (
        <tr
          key={a.id}
          data-testid="alert-row"
          data-alert-id={a.id}
          data-state={a.state}
          className="hover:bg-slate-50/60"
        >
          <td className={tableCell}>
            <SeverityBadge severity={a.severity} />
          </td>
          <td className={`${tableCell} max-w-xl`}>
            <div className="font-medium text-slate-900">{a.rule.name}</div>
            <div className="mt-0.5 text-xs text-slate-600" data-testid="alert-summary">
              {a.summary}
            </div>
          </td>
          <td className={tableCell}>
            <Subject a={a} />
          </td>
          <td className={tableCell}>
            <AlertStateBadge state={a.state} />
            {a.state === 'acknowledged' ? (
              <div className="mt-1 text-xs text-slate-500">
                by {a.acknowledgedBy} · {timeAgo(a.acknowledgedAt, now)}
              </div>
            ) : null}
            {a.state === 'resolved' ? (
              <div className="mt-1 text-xs text-slate-500" title={formatDateTime(a.resolvedAt)}>
                {timeAgo(a.resolvedAt, now)}
              </div>
            ) : null}
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`} title={formatDateTime(a.firedAt)}>
            {timeAgo(a.firedAt, now)}
          </td>
          <td className={`${tableCell} text-right`}>
            {canWrite && a.state === 'firing' ? <AckButton id={a.id} /> : null}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
