'use client';

import { ROLES, type TRole } from '@edgefleet/protocol/scopes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, UserPlus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles, inputStyles, labelStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
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
          <div className="space-y-1.5">
            <label htmlFor="new-user-email" className={labelStyles}>
              Email
            </label>
            <input
              id="new-user-email"
              type="email"
              required
              autoComplete="off"
              className={inputStyles}
              {...field('email')}
            />
          </div>
          <div className="space-y-1.5">
            <label htmlFor="new-user-name" className={labelStyles}>
              Name <span className="font-normal text-slate-400">(optional)</span>
            </label>
            <input id="new-user-name" maxLength={100} autoComplete="off" className={inputStyles} {...field('name')} />
          </div>
          <div className="space-y-1.5">
            <label htmlFor="new-user-password" className={labelStyles}>
              Password
            </label>
            <input
              id="new-user-password"
              type="password"
              required
              minLength={10}
              autoComplete="new-password"
              placeholder="At least 10 characters"
              className={inputStyles}
              {...field('password')}
            />
          </div>
          <div className="space-y-1.5">
            <label htmlFor="new-user-role" className={labelStyles}>
              Role
            </label>
            <select id="new-user-role" className={inputStyles} {...field('role')}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="flex justify-end">
          <button type="submit" className={buttonStyles.primary} disabled={create.isPending}>
            {create.isPending ? (
              <LoaderCircle className="size-4 animate-spin" aria-hidden="true" />
            ) : (
              <UserPlus className="size-4" aria-hidden="true" />
            )}
            {create.isPending ? 'Adding…' : 'Add user'}
          </button>
        </div>
      </form>
    </Card>
  );
}
