'use client';

import { useQuery } from '@tanstack/react-query';
import { Card, CardHeader } from '@/components/card';
import { ActionsHead, DataTable, tableHeadCell } from '@/components/table';
import type { UserView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { AddUserForm } from './add-user-form';
import { UserRow } from './user-row';

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
          <DataTable
            testId="users-table"
            head={
              <>
                <th className={tableHeadCell}>User</th>
                <th className={tableHeadCell}>Role</th>
                <th className={tableHeadCell}>Status</th>
                <th className={tableHeadCell}>Created</th>
                <ActionsHead />
              </>
            }
          >
            {users.data.map((u) => (
              <UserRow key={u.id} user={u} isSelf={u.id === selfId} />
            ))}
          </DataTable>
        )}
      </Card>
    </div>
  );
}
