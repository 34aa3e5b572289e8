'use client';

import { ROLES, type TRole } from '@edgefleet/protocol/scopes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { UserPlus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { Field, TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';

const EMPTY = { email: '', name: '', password: '', role: 'viewer' as TRole };

export function AddUserForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const [added, setAdded] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (u) => {
        setAdded(u.email);
        setForm(EMPTY);
        void qc.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setAdded(null);
    create.mutate({ email: form.email, name: form.name || undefined, password: form.password, role: form.role });
  }
  const field = (key: keyof typeof EMPTY) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
  });

  return (
    <Card>
      <CardHeader title="Add user" description="They sign in with this email and password; ask them to keep it safe." />
      <form onSubmit={onSubmit} className="space-y-4 px-5 py-5" data-testid="add-user-form">
        {create.error ? <Alert tone="error">{create.error.message}</Alert> : null}
        {added ? (
          <Alert tone="info" data-testid="user-added">
            Added {added}.
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <TextField id="new-user-email" label="Email" type="email" required autoComplete="off" {...field('email')} />
          <TextField id="new-user-name" label="Name" optional maxLength={100} autoComplete="off" {...field('name')} />
          <TextField
            id="new-user-password"
            label="Password"
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
            placeholder="At least 10 characters"
            {...field('password')}
          />
          <Field id="new-user-role" label="Role">
            <select id="new-user-role" className={inputStyles} {...field('role')}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="flex justify-end">
          <SubmitButton icon={UserPlus} pending={create.isPending} busyLabel="Adding…">
            Add user
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
