import Link from 'next/link';
import { Badge } from '@/components/badge';
import { formatDateTime, timeAgo } from '@/lib/format';
import type { ModelSummary } from '@/lib/router-types';

const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';

export function ModelsTable({ models, now }: { models: ModelSummary[]; now: number }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="models-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Model</th>
            <th className={th}>Latest version</th>
            <th className={th}>Task</th>
            <th className={th}>Versions</th>
            <th className={th}>Updated</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {models.map((m) => (
            <tr key={m.name} data-testid="model-row" data-model-name={m.name} className="hover:bg-slate-50/60">
              <td className={td}>
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
              <td className={td}>
                {m.latestVersion ? (
                  <Badge tone="green" mono>
                    {m.latestVersion}
                  </Badge>
                ) : (
                  <span className="text-slate-400">none published</span>
                )}
              </td>
              <td className={`${td} text-slate-600`}>{m.task ?? <span className="text-slate-400">—</span>}</td>
              <td className={`${td} text-slate-600 tabular-nums`}>{m.versionCount}</td>
              <td className={`${td} whitespace-nowrap text-slate-600`} title={formatDateTime(m.updatedAt)}>
                {timeAgo(m.updatedAt, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
