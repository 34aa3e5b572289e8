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

const PLACEHOLDER = '{ "keytype": "ed25519", "scheme": "ed25519", "keyval": { "public": "…" } }';

/** Catches the usual paste mistakes (the private key, a truncated file) before the server sees them. */
function checkPublicKey(text: string): string | null {
  if (text.includes('PRIVATE KEY')) return 'That is the private key. Paste the contents of publisher.key.pub instead.';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || !('keyval' in parsed)) {
      return 'Expected the TUF key JSON from publisher.key.pub, with keytype, scheme and keyval.';
    }
  } catch {
    return 'Not valid JSON. Paste the whole contents of publisher.key.pub.';
  }
  return null;
}

export function AddKeyForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);

  const add = useMutation(
    trpc.publisherKeys.add.mutationOptions({
      onSuccess: (key) => {
        setAdded(key.name);
        setName('');
        setPublicKey('');
        void qc.invalidateQueries({ queryKey: trpc.publisherKeys.list.queryKey() });
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setAdded(null);
    const problem = checkPublicKey(publicKey.trim());
    setLocalError(problem);
    if (problem) return;
    add.mutate({ name: name.trim(), publicKey: publicKey.trim() });
  }

  const error = localError ?? add.error?.message ?? null;
  return (
    <Card>
      <CardHeader
        title="Add publisher key"
        description={
          <>
            Paste the public key written by <code className="font-mono text-xs">edgefleet keys generate</code> (the{' '}
            <code className="font-mono text-xs">.pub</code> file). Never paste the private key.
          </>
        }
      />
      <form onSubmit={onSubmit} className="space-y-4 px-5 py-5" data-testid="add-publisher-key-form">
        {error ? (
          <Alert tone="error" data-testid="add-publisher-key-error">
            {error}
          </Alert>
        ) : null}
        {added ? (
          <Alert tone="info" data-testid="add-publisher-key-done">
            Added “{added}”. Versions signed with it are now accepted.
          </Alert>
        ) : null}
        <TextField
          id="publisher-key-name"
          label="Name"
          fieldClassName="sm:w-1/2"
          required
          maxLength={64}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. ci-main"
        />
        <Field id="publisher-key-public" label="Public key (publisher.key.pub)">
          <textarea
            id="publisher-key-public"
            required
            rows={4}
            spellCheck={false}
            value={publicKey}
            onChange={(e) => setPublicKey(e.target.value)}
            placeholder={PLACEHOLDER}
            className={`${inputStyles} font-mono text-xs`}
          />
        </Field>
        <div className="flex justify-end">
          <SubmitButton icon={Plus} pending={add.isPending} busyLabel="Adding…">
            Add key
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
