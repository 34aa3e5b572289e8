'use client';

import { useQuery } from '@tanstack/react-query';
import { Card, CardHeader } from '@/components/card';
import type { UserView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { AddUserForm } from './add-user-form';
import { UserRow } from './user-row';

const th = 'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';

export function UsersPanel({ initialUsers, selfId }: { initialUsers: UserView[]; selfId: string }) {
  const trpc = useTRPC();
  const users = useQuery({ ...trpc.users.list.queryOptions(), initialData: initialUsers });

  return (
    <div className="space-y-6">
      <AddUserForm />
      <Card>
        <CardHeader
          title="Users"
          description="People who can sign in to the dashboard. Admins manage everything; operators run the fleet; viewers only read."
        />
        {users.data.length === 0 ? (
          <p className="px-5 py-10 text-center text-sm text-slate-500">No users yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200" data-testid="users-table">
              <thead className="bg-slate-50">
                <tr>
                  <th className={th}>User</th>
                  <th className={th}>Role</th>
                  <th className={th}>Status</th>
                  <th className={th}>Created</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {users.data.map((u) => (
                  <UserRow key={u.id} user={u} isSelf={u.id === selfId} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
