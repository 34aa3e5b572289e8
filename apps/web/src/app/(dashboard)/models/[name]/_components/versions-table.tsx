import { CircleCheck, CircleX } from 'lucide-react';
import { Badge } from '@/components/badge';
import { formatDateTime } from '@/lib/format';
import type { ModelVersionView } from '@/lib/router-types';
import { formatSize, VariantChips } from '../../_components/variant-chips';

const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-4 py-3 align-top text-sm';

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
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid="versions-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Version</th>
            <th className={th}>Published</th>
            <th className={th}>Publisher key</th>
            <th className={th}>Signature</th>
            <th className={th}>Size</th>
            <th className={th}>Variants</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {versions.map((v) => (
            <tr key={v.version} data-testid="version-row" data-version={v.version} className="hover:bg-slate-50/60">
              <td className={td}>
                <a href={`#v-${v.version}`} className="font-mono font-medium text-slate-900 hover:text-indigo-600">
                  {v.version}
                </a>
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600`}>{formatDateTime(v.publishedAt)}</td>
              <td className={td}>
                <PublisherKeyLabel publisherKey={v.publisherKey} />
              </td>
              <td className={`${td} whitespace-nowrap`}>
                <SignatureStatus verified={v.signatureVerified} />
              </td>
              <td className={`${td} whitespace-nowrap text-slate-600 tabular-nums`}>{formatSize(v.sizeBytes)}</td>
              <td className={td}>
                <VariantChips artifacts={v.artifacts} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
