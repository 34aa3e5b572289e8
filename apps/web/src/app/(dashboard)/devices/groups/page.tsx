import type { Metadata } from 'next';
import { Alert } from '@/components/alert';
import { BackLink } from '@/components/back-link';
import { Card, CardHeader } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { CreateGroupForm } from './_components/create-group-form';
import { GroupsTable } from './_components/groups-table';

export const metadata: Metadata = { title: 'Device groups · EdgeFleet' };

export default async function GroupsPage() {
  const { caller } = await getCaller();
  const [me, groups] = await Promise.all([caller.system.whoami(), guarded(() => caller.groups.list())]);
  if (groups.forbidden) {
    return (
      <NotAllowed title="You can't view device groups">Your role does not include the devices:read scope.</NotAllowed>
    );
  }
  const canWrite = me.scopes.includes('devices:write');
  return (
    <>
      <BackLink href="/devices">Devices</BackLink>
      <PageHeader
        title="Device groups"
        description="Static groups hold the devices assigned to them; dynamic groups hold every device whose tags match a selector."
      />
      <div className="space-y-6">
        {canWrite ? (
          <CreateGroupForm />
        ) : (
          <Alert tone="info" data-testid="read-only-note">
            Your role (<strong className="font-semibold">{me.role}</strong>) is read-only: you can see groups but cannot
            create or delete them.
          </Alert>
        )}
        <Card>
          <CardHeader title="Groups" description="Device counts link to the devices list filtered to the group." />
          <GroupsTable initialGroups={groups.data} canWrite={canWrite} />
        </Card>
      </div>
    </>
  );
}
