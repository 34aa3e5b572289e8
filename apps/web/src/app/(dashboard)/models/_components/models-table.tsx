import Link from 'next/link';
import { Badge } from '@/components/badge';
import { DataTable, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { ModelSummary } from '@/lib/router-types';

export function ModelsTable({ models, now }: { models: ModelSummary[]; now: number }) {
  return (
    <DataTable
      testId="models-table"
      head={
        <>
          <th className={tableHeadCell}>Model</th>
          <th className={tableHeadCell}>Latest version</th>
          <th className={tableHeadCell}>Task</th>
          <th className={tableHeadCell}>Versions</th>
          <th className={tableHeadCell}>Updated</th>
        </>
      }
    >
      {models.map((m) => (
        <tr key={m.name} data-testid="model-row" data-model-name={m.name} className="hover:bg-slate-50/60">
          <td className={tableCell}>
            <Link
              href={`/models/${encodeURIComponent(m.name)}`}
              className="font-medium text-slate-900 hover:text-indigo-600"
            >
              {m.name}
            </Link>
            {m.description ? (
              <div className="mt-0.5 max-w-md truncate text-xs text-slate-500">{m.description}</div>
            ) : null}
          </td>
          <td className={tableCell}>
            {m.latestVersion ? (
              <Badge tone="green" mono>
                {m.latestVersion}
              </Badge>
            ) : (
              <span className="text-slate-400">none published</span>
            )}
          </td>
          <td className={`${tableCell} text-slate-600`}>{m.task ?? <span className="text-slate-400">—</span>}</td>
          <td className={`${tableCell} text-slate-600 tabular-nums`}>{m.versionCount}</td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`} title={formatDateTime(m.updatedAt)}>
            {timeAgo(m.updatedAt, now)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
