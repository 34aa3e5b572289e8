import Link from 'next/link';
import { DataTable, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { RolloutSummary } from '@/lib/router-types';
import { phaseLabel } from './phase-label';
import { ProgressBar } from './progress-bar';
import { RolloutStatusBadge } from './rollout-status-badge';

/** A tripped gate or a failure reads in red; an operator's pause or abort does not. */
const alarming = (r: RolloutSummary) =>
  r.status === 'failed' || r.status === 'rolled_back' || Boolean(r.statusReason?.startsWith('gate '));

export function RolloutsTable({ rollouts, now }: { rollouts: RolloutSummary[]; now: number }) {
  return (
    <DataTable
      testId="rollouts-table"
      head={
        <>
          <th className={tableHeadCell}>Rollout</th>
          <th className={tableHeadCell}>Status</th>
          <th className={`${tableHeadCell} w-72`}>Progress</th>
          <th className={tableHeadCell}>Phase</th>
          <th className={tableHeadCell}>Created</th>
        </>
      }
    >
      {rollouts.map((r) => {
        const done = r.counts.succeeded ?? 0;
        return (
          <tr key={r.id} data-testid="rollout-row" data-rollout-id={r.id} className="hover:bg-slate-50/60">
            <td className={tableCell}>
              <Link href={`/rollouts/${r.id}`} className="font-mono font-medium text-slate-900 hover:text-indigo-600">
                {r.model}@{r.version}
              </Link>
              <div className="mt-0.5 font-mono text-xs text-slate-500">{r.id}</div>
            </td>
            <td className={`${tableCell} max-w-64`}>
              <RolloutStatusBadge status={r.status} />
              {r.statusReason ? (
                <div
                  className={`mt-1 line-clamp-2 text-xs ${alarming(r) ? 'text-red-700' : 'text-slate-500'}`}
                  title={r.statusReason}
                  data-testid="rollout-reason"
                >
                  {r.statusReason}
                </div>
              ) : null}
            </td>
            <td className={tableCell}>
              <ProgressBar counts={r.counts} total={r.deviceCount} testId="rollout-progress" />
              <div className="mt-1.5 text-xs text-slate-500 tabular-nums">
                <span className="font-medium text-slate-700">{done.toLocaleString('en-US')}</span> of{' '}
                {r.deviceCount.toLocaleString('en-US')} device{r.deviceCount === 1 ? '' : 's'} updated
                {(r.counts.failed ?? 0) + (r.counts.timed_out ?? 0) > 0 ? (
                  <span className="text-red-700">
                    {' '}
                    · {((r.counts.failed ?? 0) + (r.counts.timed_out ?? 0)).toLocaleString('en-US')} failed
                  </span>
                ) : null}
              </div>
            </td>
            <td className={`${tableCell} whitespace-nowrap text-slate-600 tabular-nums`}>
              {phaseLabel(r.currentPhase, r.phaseCount, r.status)}
            </td>
            <td className={`${tableCell} whitespace-nowrap text-slate-600`} title={formatDateTime(r.createdAt)}>
              <div>{timeAgo(r.createdAt, now)}</div>
              <div className="mt-0.5 text-xs text-slate-500">{r.createdBy ?? 'unknown'}</div>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
