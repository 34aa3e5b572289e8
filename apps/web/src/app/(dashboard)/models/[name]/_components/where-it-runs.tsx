import { Rocket } from 'lucide-react';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { ActionsHead, DataTable, tableCell, tableHeadCell } from '@/components/table';
import type { ModelDeployment, ModelVersionView } from '@/lib/router-types';

function Count({ n, of, colour, testId }: { n: number; of: number; colour: string; testId: string }) {
  return (
    <div className="flex items-center gap-3">
      <span className="w-8 text-right text-sm font-medium text-slate-900 tabular-nums" data-testid={testId}>
        {n.toLocaleString('en-US')}
      </span>
      <span className="h-1.5 w-28 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
        <span className={`block h-full rounded-full ${colour}`} style={{ width: `${of ? (n / of) * 100 : 0}%` }} />
      </span>
    </div>
  );
}

/**
 * Per published version: devices that report serving it and devices meant to run it (their
 * desired state), with a way to roll it out. Versions signed by a revoked key offer none.
 */
export function WhereItRuns({
  model,
  versions,
  deployments,
  canRollOut,
}: {
  model: string;
  versions: ModelVersionView[];
  deployments: ModelDeployment[];
  canRollOut: boolean;
}) {
  const byVersion = new Map(deployments.map((d) => [d.version, d]));
  const rows = versions.map((v) => ({ v, d: byVersion.get(v.version) ?? { serving: 0, desired: 0 } }));
  const max = Math.max(1, ...rows.map((r) => Math.max(r.d.serving, r.d.desired)));
  return (
    <DataTable
      testId="where-it-runs"
      head={
        <>
          <th className={tableHeadCell}>Version</th>
          <th className={tableHeadCell}>Serving</th>
          <th className={tableHeadCell}>Desired</th>
          {canRollOut ? <ActionsHead /> : null}
        </>
      }
    >
      {rows.map(({ v, d }) => {
        const refused = v.publisherKey.revoked || !v.signatureVerified;
        return (
          <tr key={v.version} data-testid="deployment-row" data-version={v.version}>
            <td className={`${tableCell} font-mono font-medium text-slate-900`}>{v.version}</td>
            <td className={tableCell}>
              <Count n={d.serving} of={max} colour="bg-emerald-500" testId="serving-count" />
            </td>
            <td className={tableCell}>
              <Count n={d.desired} of={max} colour="bg-indigo-400" testId="desired-count" />
            </td>
            {canRollOut ? (
              <td className={`${tableCell} text-right`}>
                {refused ? (
                  <span className="text-xs text-slate-400">can’t be rolled out</span>
                ) : (
                  <Link
                    href={`/rollouts/new?${new URLSearchParams({ model, version: v.version })}`}
                    className={buttonStyles.small}
                  >
                    <Rocket className="size-3.5" aria-hidden="true" /> Roll out
                  </Link>
                )}
              </td>
            ) : null}
          </tr>
        );
      })}
    </DataTable>
  );
}
