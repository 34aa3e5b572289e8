'use client';

import { useQuery } from '@tanstack/react-query';
import { LoaderCircle } from 'lucide-react';
import { useEffect } from 'react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { inputStyles, labelStyles } from '@/components/button';
import { Field } from '@/components/text-field';
import { formatDateTime } from '@/lib/format';
import type { ModelDetail, ModelSummary } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

type Version = ModelDetail['versions'][number];

/** Why a published version cannot be rolled out, or null when it can. */
export function versionRefusal(v: Version): string | null {
  if (v.publisherKey.revoked) return `Signed by ${v.publisherKey.name}, a revoked key: it can't be rolled out.`;
  if (!v.signatureVerified) return 'Its signature does not verify: it can’t be rolled out.';
  return null;
}

export function ModelSection({
  models,
  initialModel,
  model,
  version,
  onModel,
  onVersion,
}: {
  models: ModelSummary[];
  initialModel: ModelDetail | null;
  model: string;
  version: string;
  onModel: (name: string) => void;
  onVersion: (version: string) => void;
}) {
  const trpc = useTRPC();
  const detail = useQuery({
    ...trpc.models.get.queryOptions({ name: model }),
    enabled: Boolean(model),
    initialData: initialModel?.name === model ? initialModel : undefined,
  });
  const versions = detail.data?.versions ?? [];

  // Pick the newest version that may be rolled out when none, one of another model, or one that
  // can't be rolled out (a link from the model page to a revoked version) is chosen.
  useEffect(() => {
    if (!detail.data || detail.data.name !== model) return;
    const chosen = detail.data.versions.find((v) => v.version === version);
    if (chosen && !versionRefusal(chosen)) return;
    const first = detail.data.versions.find((v) => !versionRefusal(v));
    onVersion(first?.version ?? '');
  }, [detail.data, model, version, onVersion]);

  return (
    <div className="space-y-5">
      <Field id="rollout-model" label="Model">
        <select
          id="rollout-model"
          value={model}
          onChange={(e) => onModel(e.target.value)}
          className={`${inputStyles} sm:max-w-sm`}
        >
          <option value="" disabled>
            Choose a model…
          </option>
          {models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} (latest {m.latestVersion})
            </option>
          ))}
        </select>
      </Field>
      {model ? (
        <fieldset>
          <legend className={labelStyles}>Version</legend>
          {detail.isPending ? (
            <p className="mt-2 flex items-center gap-2 text-sm text-slate-500">
              <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> Loading versions…
            </p>
          ) : detail.error ? (
            <div className="mt-2">
              <Alert tone="error">{detail.error.message}</Alert>
            </div>
          ) : (
            <div
              className="mt-2 divide-y divide-slate-100 rounded-md ring-1 ring-slate-200"
              data-testid="version-choices"
            >
              {versions.map((v) => {
                const refusal = versionRefusal(v);
                const active = v.version === version;
                return (
                  <label
                    key={v.version}
                    data-testid="version-choice"
                    data-version={v.version}
                    className={`flex gap-3 px-3.5 py-3 ${refusal ? 'cursor-not-allowed bg-slate-50/80' : 'cursor-pointer hover:bg-slate-50'} ${active ? 'bg-indigo-50/70 hover:bg-indigo-50/70' : ''}`}
                  >
                    <input
                      type="radio"
                      name="rollout-version"
                      value={v.version}
                      checked={active}
                      disabled={Boolean(refusal)}
                      onChange={() => onVersion(v.version)}
                      className="mt-1 size-4 shrink-0 accent-indigo-600"
                    />
                    <span className="min-w-0 flex-1">
                      <span className="flex flex-wrap items-center gap-2">
                        <span
                          className={`font-mono text-sm font-semibold ${refusal ? 'text-slate-400' : 'text-slate-900'}`}
                        >
                          {v.version}
                        </span>
                        {v === versions[0] ? <Badge tone="green">latest</Badge> : null}
                        {v.publisherKey.revoked ? (
                          <Badge tone="red" data-testid="key-revoked">
                            key revoked
                          </Badge>
                        ) : null}
                      </span>
                      <span className="mt-0.5 block text-xs text-slate-500">
                        Published {formatDateTime(v.publishedAt)} · signed by{' '}
                        <span className="font-medium text-slate-700">{v.publisherKey.name}</span>
                        {v.artifacts.length
                          ? ` · ${v.artifacts.length} variant${v.artifacts.length === 1 ? '' : 's'}`
                          : ''}
                      </span>
                      {refusal ? (
                        <span className="mt-1 block text-xs text-red-700" data-testid="version-refusal">
                          {refusal}
                        </span>
                      ) : null}
                    </span>
                  </label>
                );
              })}
            </div>
          )}
        </fieldset>
      ) : null}
    </div>
  );
}
