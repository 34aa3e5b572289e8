'use client';

import { useMutation } from '@tanstack/react-query';
import { LoaderCircle, Plus, X } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { buttonStyles, inputStyles, labelStyles } from '@/components/button';
import { TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';

type Tags = Record<string, string>;

/** Edits a copy; Save sends only the difference (set, remove, group), so concurrent edits of other tags survive. */
export function TagsEditor({
  id,
  group,
  tags,
  canWrite,
}: {
  id: string;
  group: string | null;
  tags: Tags;
  canWrite: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [draft, setDraft] = useState<Tags>(tags);
  const [groupDraft, setGroupDraft] = useState(group ?? '');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const save = useMutation(trpc.devices.tag.mutationOptions({ onSuccess: () => router.refresh() }));

  if (!canWrite) {
    return (
      <dl className="space-y-4 px-5 py-4 text-sm">
        <div>
          <dt className="text-slate-500">Group</dt>
          <dd className="mt-1 text-slate-900">{group ?? <span className="text-slate-400">none</span>}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Tags</dt>
          <dd className="mt-1 flex flex-wrap gap-1">
            {Object.keys(tags).length === 0 ? <span className="text-slate-400">none</span> : null}
            {Object.entries(tags).map(([k, v]) => (
              <Badge key={k} tone="indigo" mono>
                {k}={v}
              </Badge>
            ))}
          </dd>
        </div>
      </dl>
    );
  }

  const set = Object.fromEntries(Object.entries(draft).filter(([k, v]) => tags[k] !== v));
  const remove = Object.keys(tags).filter((k) => !(k in draft));
  const nextGroup = groupDraft.trim() || null;
  const dirty = Object.keys(set).length > 0 || remove.length > 0 || nextGroup !== group;

  function addTag(e?: FormEvent) {
    e?.preventDefault();
    const k = key.trim();
    if (!k) return;
    setDraft((d) => ({ ...d, [k]: value.trim() }));
    setKey('');
    setValue('');
  }

  return (
    <div className="space-y-4 px-5 py-4" data-testid="tags-editor">
      {save.error ? <Alert tone="error">{save.error.message}</Alert> : null}
      <TextField
        id="device-group-input"
        label="Group"
        value={groupDraft}
        onChange={(e) => setGroupDraft(e.target.value)}
        placeholder="no group"
        maxLength={100}
      />
      <div className="space-y-1.5">
        <span className={labelStyles}>Tags</span>
        <div className="flex min-h-7 flex-wrap gap-1.5">
          {Object.keys(draft).length === 0 ? <span className="text-sm text-slate-400">No tags</span> : null}
          {Object.entries(draft).map(([k, v]) => (
            <span
              key={k}
              className="inline-flex items-center gap-1 rounded-md bg-indigo-50 py-0.5 pr-1 pl-2 font-mono text-xs text-indigo-700 ring-1 ring-indigo-600/20 ring-inset"
            >
              {k}={v}
              <button
                type="button"
                aria-label={`Remove tag ${k}`}
                className="rounded p-0.5 hover:bg-indigo-100"
                onClick={() =>
                  setDraft((d) => {
                    const { [k]: _, ...rest } = d;
                    return rest;
                  })
                }
              >
                <X className="size-3" aria-hidden="true" />
              </button>
            </span>
          ))}
        </div>
        <div className="flex gap-2">
          <input
            aria-label="Tag key"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addTag(e)}
            placeholder="key"
            className={`${inputStyles} font-mono`}
          />
          <input
            aria-label="Tag value"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addTag(e)}
            placeholder="value"
            className={`${inputStyles} font-mono`}
          />
          <button type="button" className={buttonStyles.secondary} onClick={() => addTag()} disabled={!key.trim()}>
            <Plus className="size-4" aria-hidden="true" />
            Add
          </button>
        </div>
      </div>
      <div className="flex justify-end gap-2">
        {dirty ? (
          <button
            type="button"
            className={buttonStyles.ghost}
            onClick={() => {
              setDraft(tags);
              setGroupDraft(group ?? '');
            }}
          >
            Discard
          </button>
        ) : null}
        <button
          type="button"
          className={buttonStyles.primary}
          disabled={!dirty || save.isPending}
          onClick={() =>
            save.mutate({
              id,
              ...(Object.keys(set).length ? { set } : {}),
              ...(remove.length ? { remove } : {}),
              ...(nextGroup !== group ? { group: nextGroup } : {}),
            })
          }
        >
          {save.isPending ? <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> : null}
          {save.isPending ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </div>
  );
}
