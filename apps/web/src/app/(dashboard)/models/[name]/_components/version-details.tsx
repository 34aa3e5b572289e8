import { ChevronRight } from 'lucide-react';
import type { ReactNode } from 'react';
import { Badge } from '@/components/badge';
import { CopyButton } from '@/components/copy-button';
import type { ModelArtifactView, ModelVersionView } from '@/lib/router-types';
import { formatSize } from '../../_components/variant-chips';
import { TensorTable } from './tensor-table';
import { PublisherKeyLabel, SignatureStatus } from './versions-table';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-0.5 truncate text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function ArtifactBlock({ artifact: a }: { artifact: ModelArtifactView }) {
  return (
    <div className="space-y-3 rounded-md bg-slate-50/60 p-4 ring-1 ring-slate-200" data-testid="artifact">
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone="indigo" mono>
          {a.runtime} · {a.accelerator} · {a.precision}
        </Badge>
        <span className="text-sm text-slate-600 tabular-nums">{formatSize(a.sizeBytes)}</span>
        {a.memoryBytes ? (
          <span className="text-sm text-slate-500">· needs {formatSize(a.memoryBytes)} memory</span>
        ) : null}
        {a.smokeTest ? <Badge tone="green">smoke test</Badge> : null}
      </div>
      <div className="flex items-center gap-1 font-mono text-xs text-slate-500">
        <span className="shrink-0">sha256</span>
        <span className="min-w-0 truncate" title={a.sha256}>
          {a.sha256}
        </span>
        <CopyButton text={a.sha256} label="Copy SHA-256" className="text-slate-400 hover:bg-slate-100" />
      </div>
      <TensorTable tensors={a.tensors} />
    </div>
  );
}

/** One published version: its signed model card, changelog and every artifact's tensor signature. */
export function VersionDetails({ version: v, open }: { version: ModelVersionView; open: boolean }) {
  const metrics = Object.entries(v.card.metrics ?? {});
  return (
    <details
      id={`v-${v.version}`}
      open={open}
      className="group rounded-lg bg-white shadow-sm ring-1 ring-slate-200"
      data-testid="version-details"
    >
      <summary className="flex cursor-pointer list-none flex-wrap items-center gap-3 px-5 py-4 [&::-webkit-details-marker]:hidden">
        <ChevronRight className="size-4 text-slate-400 transition-transform group-open:rotate-90" aria-hidden="true" />
        <span className="font-mono text-base font-semibold text-slate-900">{v.version}</span>
        <SignatureStatus verified={v.signatureVerified} />
        <span className="text-sm text-slate-500">signed by</span>
        <PublisherKeyLabel publisherKey={v.publisherKey} />
      </summary>
      <div className="space-y-5 border-t border-slate-200 px-5 py-5">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          <Fact label="Framework">{v.card.framework ?? '—'}</Fact>
          <Fact label="Opset">{v.card.opset ?? '—'}</Fact>
          <Fact label="Source commit">
            <span className="font-mono text-xs" title={v.card.sourceCommit}>
              {v.card.sourceCommit ?? '—'}
            </span>
          </Fact>
          <Fact label="Dataset hash">
            <span className="font-mono text-xs" title={v.card.datasetHash}>
              {v.card.datasetHash ?? '—'}
            </span>
          </Fact>
        </dl>
        {metrics.length > 0 ? (
          <div>
            <h3 className="text-sm font-semibold text-slate-900">Evaluation metrics</h3>
            <dl className="mt-2 flex flex-wrap gap-3" data-testid="card-metrics">
              {metrics.map(([k, value]) => (
                <div key={k} className="rounded-md px-3 py-2 ring-1 ring-slate-200">
                  <dt className="text-xs text-slate-500">{k}</dt>
                  <dd className="font-mono text-sm font-medium text-slate-900 tabular-nums">{value}</dd>
                </div>
              ))}
            </dl>
          </div>
        ) : null}
        <div>
          <h3 className="text-sm font-semibold text-slate-900">Changelog</h3>
          {v.changelog ? (
            <p className="mt-1 text-sm whitespace-pre-line text-slate-700" data-testid="changelog">
              {v.changelog}
            </p>
          ) : (
            <p className="mt-1 text-sm text-slate-400">No changelog.</p>
          )}
        </div>
        <div className="space-y-3">
          <h3 className="text-sm font-semibold text-slate-900">
            Artifacts <span className="font-normal text-slate-500">({v.artifacts.length})</span>
          </h3>
          {v.artifacts.map((a) => (
            <ArtifactBlock key={a.sha256 + a.runtime + a.accelerator + a.precision} artifact={a} />
          ))}
        </div>
      </div>
    </details>
  );
}
