import { ShieldCheck } from 'lucide-react';
import { Badge, type BadgeTone } from '@/components/badge';
import { DataTable, tableHeadCell } from '@/components/table';
import { formatDateTime } from '@/lib/format';
import type { DeviceDetail } from '@/lib/router-types';

const td = 'px-4 py-3 text-sm';

type Cert = DeviceDetail['certificates'][number];
function certState(c: Cert, now: number): { label: string; tone: BadgeTone } {
  if (c.revokedAt) return { label: 'revoked', tone: 'red' };
  if (c.retiredAt) return { label: 'retired', tone: 'slate' };
  if (new Date(c.notAfter).getTime() <= now) return { label: 'expired', tone: 'amber' };
  return { label: 'current', tone: 'green' };
}

export function CertificatesTable({ certificates, now }: { certificates: Cert[]; now: number }) {
  if (certificates.length === 0) {
    return (
      <div className="flex flex-col items-center px-6 py-10 text-center" data-testid="certificates-empty">
        <ShieldCheck className="size-8 text-slate-300" aria-hidden="true" />
        <p className="mt-3 text-sm font-medium text-slate-900">No certificate issued</p>
        <p className="mt-1 text-sm text-slate-500">A device gets its certificate when it is accepted.</p>
      </div>
    );
  }
  return (
    <DataTable
      testId="certificates-table"
      head={
        <>
          <th className={tableHeadCell}>Serial</th>
          <th className={tableHeadCell}>Valid from</th>
          <th className={tableHeadCell}>Valid until</th>
          <th className={tableHeadCell}>State</th>
        </>
      }
    >
      {certificates.map((c) => {
        const state = certState(c, now);
        return (
          <tr key={c.serial} data-testid="certificate-row">
            <td className={`${td} max-w-56 truncate font-mono text-xs text-slate-700`} title={c.serial}>
              {c.serial}
            </td>
            <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDateTime(c.notBefore)}</td>
            <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDateTime(c.notAfter)}</td>
            <td className={td}>
              <Badge tone={state.tone} data-testid="certificate-state">
                {state.label}
              </Badge>
              {c.revokedAt ? (
                <div className="mt-1 text-xs text-slate-500">{formatDateTime(c.revokedAt)}</div>
              ) : c.retiredAt ? (
                <div className="mt-1 text-xs text-slate-500">{formatDateTime(c.retiredAt)}</div>
              ) : null}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
