'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { Field, TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';
import { agentEnrollCommand } from '../../_components/agent-command';
import { EnrollTokenSecret } from './enroll-token-secret';

const EXPIRY = [
  { value: '1', label: '1 hour' },
  { value: '24', label: '24 hours' },
  { value: '168', label: '7 days' },
  { value: '720', label: '30 days' },
  { value: 'never', label: 'Never' },
] as const;

/** `site=lab, rack=3` → { site: 'lab', rack: '3' }, or an error naming the first bad part. */
function parseTags(text: string): { tags: Record<string, string> } | { error: string } {
  const tags: Record<string, string> = {};
  for (const part of text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { error: `Tag “${part}” is not key=value.` };
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { tags };
}

export function CreateEnrollTokenForm({
  host,
  devicePort,
  fingerprint,
}: {
  host: string;
  devicePort: number;
  fingerprint: string | null;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [group, setGroup] = useState('');
  const [name, setName] = useState('');
  const [tagText, setTagText] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [expiry, setExpiry] = useState<(typeof EXPIRY)[number]['value']>('24');
  const [autoApprove, setAutoApprove] = useState(false);
  const [preauthorizedOnly, setPreauthorizedOnly] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);

  const create = useMutation(
    trpc.enrollTokens.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ name: res.view.name, token: res.token });
        setName('');
        void qc.invalidateQueries({ queryKey: trpc.enrollTokens.list.queryKey() });
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setLocalError(null);
    const parsed = parseTags(tagText);
    if ('error' in parsed) return setLocalError(parsed.error);
    const uses = maxUses.trim() === '' ? null : Number(maxUses);
    if (uses !== null && (!Number.isInteger(uses) || uses < 1))
      return setLocalError('Uses must be a whole number ≥ 1.');
    setCreated(null);
    create.mutate({
      group,
      ...(name.trim() ? { name: name.trim() } : {}),
      tags: parsed.tags,
      maxUses: uses,
      expiresInHours: expiry === 'never' ? null : Number(expiry),
      autoApprove,
      preauthorizedOnly,
    });
  }

  const error = localError ?? create.error?.message ?? null;
  const check = 'size-4 rounded border-slate-300 accent-indigo-600';

  return (
    <Card>
      <CardHeader
        title="Create enrollment token"
        description="Devices present it once, with a certificate request made on the device, to join the fleet."
      />
      {created ? (
        <div className="border-b border-slate-200 px-5 py-4">
          <EnrollTokenSecret
            name={created.name}
            token={created.token}
            command={agentEnrollCommand({ host, devicePort, token: created.token, fingerprint })}
            onDismiss={() => setCreated(null)}
          />
        </div>
      ) : null}
      <form onSubmit={onSubmit} className="space-y-5 px-5 py-5" data-testid="create-enroll-token-form">
        {error ? (
          <Alert tone="error" data-testid="create-enroll-token-error">
            {error}
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <TextField
            id="et-group"
            label="Group"
            required
            maxLength={100}
            value={group}
            onChange={(e) => setGroup(e.target.value)}
            placeholder="e.g. lab"
          />
          <TextField
            id="et-name"
            label="Name"
            optional
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. rack 3 install"
          />
          <TextField
            id="et-uses"
            label="Uses"
            optional="blank: unlimited"
            type="number"
            min={1}
            inputMode="numeric"
            value={maxUses}
            onChange={(e) => setMaxUses(e.target.value)}
            placeholder="∞"
          />
          <Field id="et-expiry" label="Expires after">
            <select
              id="et-expiry"
              value={expiry}
              onChange={(e) => setExpiry(e.target.value as typeof expiry)}
              className={inputStyles}
            >
              {EXPIRY.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <TextField
          id="et-tags"
          label="Tags"
          optional="every device enrolled with it gets them"
          value={tagText}
          onChange={(e) => setTagText(e.target.value)}
          placeholder="site=berlin, rack=3"
          className="font-mono"
        />
        <fieldset className="grid gap-3 sm:grid-cols-2">
          <legend className="sr-only">Approval</legend>
          <label className="flex cursor-pointer items-start gap-3 rounded-md px-3 py-2.5 ring-1 ring-slate-200 ring-inset hover:bg-slate-50">
            <input
              type="checkbox"
              className={`${check} mt-0.5`}
              checked={autoApprove}
              onChange={(e) => setAutoApprove(e.target.checked)}
            />
            <span>
              <span className="block text-sm font-medium text-slate-900">Auto-approve</span>
              <span className="block text-xs text-slate-500">
                Accept devices at once. Otherwise they wait as pending until an operator approves them.
              </span>
            </span>
          </label>
          <label className="flex cursor-pointer items-start gap-3 rounded-md px-3 py-2.5 ring-1 ring-slate-200 ring-inset hover:bg-slate-50">
            <input
              type="checkbox"
              className={`${check} mt-0.5`}
              checked={preauthorizedOnly}
              onChange={(e) => setPreauthorizedOnly(e.target.checked)}
            />
            <span>
              <span className="block text-sm font-medium text-slate-900">Pre-authorized devices only</span>
              <span className="block text-xs text-slate-500">
                Refuse any device whose serial number or hardware id was not pre-authorized below.
              </span>
            </span>
          </label>
        </fieldset>
        <div className="flex justify-end">
          <SubmitButton icon={Plus} pending={create.isPending} busyLabel="Creating…">
            Create enrollment token
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
