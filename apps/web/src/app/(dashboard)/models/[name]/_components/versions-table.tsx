import { CircleCheck, CircleX } from 'lucide-react';
import { Badge } from '@/components/badge';
import { DataTable, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime } from '@/lib/format';
import type { ModelVersionView } from '@/lib/router-types';
import { formatSize, VariantChips } from '../../_components/variant-chips';

/** The control plane re-verifies the stored signed bytes against the publisher key on every read. */
export function SignatureStatus({ verified }: { verified: boolean }) {
  return verified ? (
    <span className="inline-flex items-center gap-1 text-emerald-700" data-testid="signature-status" data-ok="true">
      <CircleCheck className="size-4" aria-hidden="true" />
      verified
    </span>
  ) : (
    <span className="inline-flex items-center gap-1 text-red-700" data-testid="signature-status" data-ok="false">
      <CircleX className="size-4" aria-hidden="true" />
      invalid
    </span>
  );
}

export function PublisherKeyLabel({ publisherKey }: { publisherKey: ModelVersionView['publisherKey'] }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-1.5">
      <span className="font-medium text-slate-800">{publisherKey.name}</span>
      {publisherKey.revoked ? (
        <Badge tone="red" data-testid="key-revoked">
          revoked
        </Badge>
      ) : null}
    </span>
  );
}

export function VersionsTable({ versions }: { versions: ModelVersionView[] }) {
  return (
    <DataTable
      testId="versions-table"
      head={
        <>
          <th className={tableHeadCell}>Version</th>
          <th className={tableHeadCell}>Published</th>
          <th className={tableHeadCell}>Publisher key</th>
          <th className={tableHeadCell}>Signature</th>
          <th className={tableHeadCell}>Size</th>
          <th className={tableHeadCell}>Variants</th>
        </>
      }
    >
      {versions.map((v) => (
        <tr key={v.version} data-testid="version-row" data-version={v.version} className="hover:bg-slate-50/60">
          <td className={tableCell}>
            <a href={`#v-${v.version}`} className="font-mono font-medium text-slate-900 hover:text-indigo-600">
              {v.version}
            </a>
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDateTime(v.publishedAt)}</td>
          <td className={tableCell}>
            <PublisherKeyLabel publisherKey={v.publisherKey} />
          </td>
          <td className={`${tableCell} whitespace-nowrap`}>
            <SignatureStatus verified={v.signatureVerified} />
          </td>
          <td className={`${tableCell} whitespace-nowrap text-slate-600 tabular-nums`}>{formatSize(v.sizeBytes)}</td>
          <td className={tableCell}>
            <VariantChips artifacts={v.artifacts} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
