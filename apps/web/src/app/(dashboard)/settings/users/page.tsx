import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { UsersPanel } from './_components/users-panel';

export const metadata: Metadata = { title: 'Users · EdgeFleet' };

export default async function UsersPage() {
  const { caller, principal } = await getCaller();
  // Managing people is users:write (admins). Checked here, before any user data is read;
  // the procedures check again on every call.
  if (!principal?.scopes.includes('users:write')) {
    return (
      <NotAllowed title="Only admins can manage users">
        Ask an admin to add people, change roles or reset passwords.
      </NotAllowed>
    );
  }
  const users = await guarded(() => caller.users.list());
  if (users.forbidden) return <NotAllowed title="Only admins can manage users" />;
  return <UsersPanel initialUsers={users.data} selfId={principal.userId} />;
}
