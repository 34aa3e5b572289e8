'use client';

import { SCOPES, type TScope } from '@edgefleet/protocol/scopes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles, inputStyles, labelStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { Field, TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';
import { TokenSecret } from './token-secret';

const EXPIRY = [
  { value: 'never', label: 'Never' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '365 days' },
] as const;

export function CreateTokenForm({ grantableScopes }: { grantableScopes: string[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // Offer only what the user holds: the server refuses anything else anyway.
  const scopes = SCOPES.filter((s) => grantableScopes.includes(s));
  const [name, setName] = useState('');
  const [selected, setSelected] = useState<Set<TScope>>(new Set());
  const [expiry, setExpiry] = useState<(typeof EXPIRY)[number]['value']>('90');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);

  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ name: res.view.name, token: res.token });
        setName('');
        setSelected(new Set());
        void qc.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
      },
    }),
  );

  function toggle(scope: TScope) {
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(scope)) next.delete(scope);
      else next.add(scope);
      return next;
    });
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setLocalError(null);
    if (selected.size === 0) {
      setLocalError('Choose at least one scope.');
      return;
    }
    setCreated(null);
    create.mutate({
      name,
      scopes: scopes.filter((s) => selected.has(s)),
      expiresInDays: expiry === 'never' ? null : Number(expiry),
    });
  }

  const error = localError ?? create.error?.message ?? null;

  return (
    <Card>
      <CardHeader
        title="Create token"
        description="For the edgefleet CLI or a CI pipeline. Give it only the scopes it needs."
      />
      {created ? (
        <div className="border-b border-slate-200 px-5 py-4">
          <TokenSecret name={created.name} token={created.token} onDismiss={() => setCreated(null)} />
        </div>
      ) : null}
      <form onSubmit={onSubmit} className="space-y-5 px-5 py-5" data-testid="create-token-form">
        {error ? (
          <Alert tone="error" data-testid="create-token-error">
            {error}
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            id="token-name"
            label="Name"
            fieldClassName="sm:col-span-2"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. ci-publish-detector"
          />
          <Field id="token-expiry" label="Expires">
            <select
              id="token-expiry"
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
        <fieldset>
          <div className="flex items-center justify-between">
            <legend className={labelStyles}>Scopes</legend>
            <div className="flex gap-1">
              <button type="button" className={buttonStyles.ghost} onClick={() => setSelected(new Set(scopes))}>
                Select all
              </button>
              <button type="button" className={buttonStyles.ghost} onClick={() => setSelected(new Set())}>
                Clear
              </button>
            </div>
          </div>
          <div className="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-4">
            {scopes.map((scope) => (
              <label
                key={scope}
                className={`flex cursor-pointer items-center gap-2 rounded-md px-3 py-2 text-sm ring-1 ring-inset transition-colors ${
                  selected.has(scope) ? 'bg-indigo-50 ring-indigo-300' : 'bg-white ring-slate-200 hover:bg-slate-50'
                }`}
              >
                <input
                  type="checkbox"
                  checked={selected.has(scope)}
                  onChange={() => toggle(scope)}
                  className="size-4 rounded border-slate-300 accent-indigo-600"
                />
                <span className="font-mono text-xs text-slate-800">{scope}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="flex justify-end">
          <SubmitButton icon={Plus} pending={create.isPending} busyLabel="Creating…">
            Create token
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
