'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';
import { parseSelector } from './selector';

export function CreateGroupForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [selectorText, setSelectorText] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  const create = useMutation(
    trpc.groups.create.mutationOptions({
      onSuccess: (g) => {
        setCreated(
          g.kind === 'dynamic'
            ? `Created dynamic group “${g.name}”: ${g.deviceCount} device${g.deviceCount === 1 ? '' : 's'} match.`
            : `Created static group “${g.name}”. Assign devices to it from a device’s page.`,
        );
        setName('');
        setSelectorText('');
        void qc.invalidateQueries({ queryKey: trpc.groups.list.queryKey() });
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setLocalError(null);
    setCreated(null);
    const parsed = parseSelector(selectorText);
    if ('error' in parsed) return setLocalError(`Selector: ${parsed.error}`);
    const pairs = Object.keys(parsed.selector).length;
    create.mutate({ name: name.trim(), ...(pairs ? { selector: parsed.selector } : {}) });
  }

  const error = localError ?? create.error?.message ?? null;
  return (
    <Card>
      <CardHeader
        title="Create group"
        description="Without a selector the group is static: devices join it when assigned. With one it is dynamic: every device whose tags include all the pairs is a member, and membership follows tag changes."
      />
      <form onSubmit={onSubmit} className="space-y-4 px-5 py-5" data-testid="create-group-form">
        {error ? (
          <Alert tone="error" data-testid="create-group-error">
            {error}
          </Alert>
        ) : null}
        {created ? <Alert data-testid="create-group-done">{created}</Alert> : null}
        <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_minmax(0,2fr)_auto] sm:items-end">
          <TextField
            id="group-name"
            label="Name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. berlin-cameras"
          />
          <TextField
            id="group-selector"
            label="Tag selector"
            optional="optional: blank for a static group"
            value={selectorText}
            onChange={(e) => setSelectorText(e.target.value)}
            placeholder="site=berlin, role=camera"
            className="font-mono"
          />
          <SubmitButton icon={Plus} pending={create.isPending} busyLabel="Creating…">
            Create group
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
