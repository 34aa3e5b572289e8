'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, LoaderCircle, Stethoscope } from 'lucide-react';
import { useState } from 'react';
import { Badge, type BadgeTone } from '@/components/badge';
import { buttonStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { formatBytes, formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const STATUS_TONE: Record<string, BadgeTone> = { pending: 'amber', uploaded: 'green', expired: 'slate' };
const SECTIONS = ['log', 'config', 'models', 'errors', 'system'] as const;
type Section = (typeof SECTIONS)[number];
const SECTION_LABEL: Record<Section, string> = {
  log: 'Log tail',
  config: 'Config',
  models: 'Models',
  errors: 'Errors',
  system: 'System',
};

const pre = 'max-h-96 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-100';

/**
 * Remote diagnostics on the device page: ask the agent for a bundle (it answers within seconds
 * when online, or when it returns), follow the requests (polled while one is pending), and read
 * or download a bundle.
 */
export function DiagnosticsCard({ deviceId, canRequest }: { deviceId: string; canRequest: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const list = useQuery({
    ...trpc.diagnostics.list.queryOptions({ deviceId }),
    refetchInterval: (q) => (q.state.data?.some((r) => r.status === 'pending') ? 2000 : false),
  });
  const request = useMutation(
    trpc.diagnostics.request.mutationOptions({
      onSuccess: async (r) => {
        setSelected(r.id);
        await qc.invalidateQueries({ queryKey: trpc.diagnostics.list.queryKey({ deviceId }) });
      },
    }),
  );
  const requests = list.data ?? [];
  const current = requests.find((r) => r.id === selected) ?? requests.find((r) => r.status === 'uploaded') ?? null;

  return (
    <Card>
      <CardHeader
        title="Diagnostics"
        description="A bundle from the agent: log tail, effective config (secrets removed), models, recent errors, system facts."
        action={
          canRequest ? (
            <button
              type="button"
              className={buttonStyles.secondary}
              disabled={request.isPending}
              onClick={() => request.mutate({ deviceId })}
              data-testid="request-diagnostics"
            >
              {request.isPending ? (
                <LoaderCircle className="size-4 animate-spin" aria-hidden="true" />
              ) : (
                <Stethoscope className="size-4" aria-hidden="true" />
              )}
              Request diagnostics
            </button>
          ) : null
        }
      />
      {request.error ? (
        <p role="alert" className="border-b border-slate-200 px-5 py-2 text-sm text-red-700">
          {request.error.message}
        </p>
      ) : null}
      {list.error ? <p className="px-5 py-4 text-sm text-red-700">{list.error.message}</p> : null}
      {requests.length === 0 && !list.isLoading ? (
        <p className="px-5 py-4 text-sm text-slate-500">No diagnostics requested yet.</p>
      ) : null}
      {requests.length > 0 ? (
        <ul className="divide-y divide-slate-100" data-testid="diagnostics-requests">
          {requests.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                disabled={r.status !== 'uploaded'}
                onClick={() => setSelected(r.id)}
                className={`flex w-full flex-wrap items-center justify-between gap-3 px-5 py-2.5 text-left text-sm ${
                  current?.id === r.id ? 'bg-indigo-50/60' : 'enabled:hover:bg-slate-50'
                }`}
              >
                <span className="flex items-center gap-2">
                  <Badge tone={STATUS_TONE[r.status] ?? 'slate'} data-testid="diagnostics-status">
                    {r.status}
                  </Badge>
                  <span className="text-slate-700">{formatDateTime(r.requestedAt)}</span>
                  <span className="text-slate-400">by {r.requestedBy}</span>
                </span>
                <span className="text-xs text-slate-500">
                  {r.status === 'uploaded' && r.uploadedAt
                    ? `uploaded ${formatDateTime(r.uploadedAt)}${r.sizeBytes ? ` · ${formatBytes(r.sizeBytes)}` : ''}`
                    : r.status === 'pending'
                      ? r.notifiedAt
                        ? 'device notified · waiting for the agent'
                        : 'waiting to notify the device'
                      : 'never answered'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {current?.status === 'uploaded' ? <BundleViewer id={current.id} /> : null}
    </Card>
  );
}

function BundleViewer({ id }: { id: string }) {
  const trpc = useTRPC();
  const [section, setSection] = useState<Section>('log');
  const bundle = useQuery(trpc.diagnostics.get.queryOptions({ id }));
  const b = bundle.data?.bundle;
  return (
    <div className="border-t border-slate-200 px-5 py-4" data-testid="diagnostics-viewer">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <div className="flex flex-wrap gap-1" role="tablist">
          {SECTIONS.map((s) => (
            <button
              key={s}
              type="button"
              role="tab"
              aria-selected={section === s}
              onClick={() => setSection(s)}
              className={`rounded-md px-2.5 py-1 text-xs font-medium ${
                section === s ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'
              }`}
            >
              {SECTION_LABEL[s]}
              {s === 'errors' && b ? ` (${b.recentErrors.length})` : ''}
            </button>
          ))}
        </div>
        <a
          href={`/api/diagnostics/${encodeURIComponent(id)}`}
          className={buttonStyles.small}
          download
          data-testid="diagnostics-download"
        >
          <Download className="size-3.5" aria-hidden="true" /> Download JSON
        </a>
      </div>
      {bundle.isLoading ? <p className="text-sm text-slate-500">Loading bundle…</p> : null}
      {bundle.error ? <p className="text-sm text-red-700">{bundle.error.message}</p> : null}
      {b ? (
        <>
          <p className="mb-2 text-xs text-slate-500">
            Collected {formatDateTime(b.collectedAt)} by edgefleet-agent {b.agentVersion}
            {b.telemetryQueue
              ? ` · telemetry queue ${b.telemetryQueue.depth} waiting, ${b.telemetryQueue.dropped} dropped`
              : ''}
          </p>
          {section === 'log' ? (
            <pre className={pre} data-testid="diagnostics-log">
              {b.logTail.length ? b.logTail.join('\n') : '(empty)'}
            </pre>
          ) : null}
          {section === 'errors' ? (
            <pre className={pre}>
              {b.recentErrors.length
                ? b.recentErrors.map((e) => `${e.ts} ${e.message}`).join('\n')
                : 'No recent errors.'}
            </pre>
          ) : null}
          {section === 'config' ? <pre className={pre}>{JSON.stringify(b.config, null, 2)}</pre> : null}
          {section === 'models' ? <pre className={pre}>{JSON.stringify(b.models, null, 2)}</pre> : null}
          {section === 'system' ? <pre className={pre}>{JSON.stringify(b.system, null, 2)}</pre> : null}
        </>
      ) : null}
    </div>
  );
}
