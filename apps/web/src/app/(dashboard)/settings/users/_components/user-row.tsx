'use client';

import { ROLES, type TRole } from '@edgefleet/protocol/scopes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Badge } from '@/components/badge';
import { buttonStyles, inputStyles } from '@/components/button';
import { tableCell } from '@/components/table';
import { formatDate } from '@/lib/format';
import type { UserView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';

export function UserRow({ user, isSelf }: { user: UserView; isSelf: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.users.list.queryKey() });

  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  const resetPassword = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: () => {
        setResetting(false);
        setPassword('');
        setNotice('Password reset.');
      },
    }),
  );
  const error = setRole.error ?? setDisabled.error ?? resetPassword.error;

  function onReset(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    resetPassword.mutate({ id: user.id, password });
  }

  return (
    <tr data-testid="user-row" data-user-email={user.email} className="hover:bg-slate-50/60">
      <td className={tableCell}>
        <div className="font-medium text-slate-900">
          {user.name}
          {isSelf ? <span className="ml-2 text-xs font-normal text-slate-400">(you)</span> : null}
        </div>
        <div className="text-slate-500">{user.email}</div>
        {error ? (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {error.message}
          </p>
        ) : null}
        {notice ? (
          <p role="status" className="mt-1 text-xs text-emerald-700">
            {notice}
          </p>
        ) : null}
      </td>
      <td className={tableCell}>
        <select
          aria-label={`Role of ${user.email}`}
          value={user.role}
          disabled={isSelf || setRole.isPending}
          title={isSelf ? 'You cannot change your own role' : undefined}
          onChange={(e) => {
            setNotice(null);
            setRole.mutate({ id: user.id, role: e.target.value as TRole });
          }}
          className={`${inputStyles} w-32 py-1.5`}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td className={tableCell}>
        {user.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}
      </td>
      <td className={`${tableCell} whitespace-nowrap text-slate-600`}>{formatDate(user.createdAt)}</td>
      <td className={`${tableCell} text-right`}>
        {resetting ? (
          <form onSubmit={onReset} className="flex items-center justify-end gap-1.5">
            <input
              type="password"
              aria-label={`New password for ${user.email}`}
              placeholder="New password (10+ chars)"
              minLength={10}
              required
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              className={`${inputStyles} w-52 py-1.5`}
            />
            <button type="submit" className={buttonStyles.small} disabled={resetPassword.isPending}>
              Save
            </button>
            <button type="button" className={buttonStyles.ghost} onClick={() => setResetting(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <div className="flex justify-end gap-1.5">
            <button type="button" className={buttonStyles.small} onClick={() => setResetting(true)}>
              Reset password
            </button>
            {isSelf ? null : (
              <button
                type="button"
                className={user.disabled ? buttonStyles.small : buttonStyles.dangerSmall}
                disabled={setDisabled.isPending}
                onClick={() => {
                  setNotice(null);
                  setDisabled.mutate({ id: user.id, disabled: !user.disabled });
                }}
              >
                {user.disabled ? 'Enable' : 'Disable'}
              </button>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}
