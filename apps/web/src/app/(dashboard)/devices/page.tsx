import { FolderTree, Plus } from 'lucide-react';
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { Card } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { agentEnrollCommand, hostFromHeader } from './_components/agent-command';
import { DeviceFilters } from './_components/device-filters';
import { DevicesEmpty } from './_components/devices-empty';
import { DevicesTable } from './_components/devices-table';
import { type ListParams, listHref, readListParams, toListQuery } from './_components/list-params';
import { DevicePagination } from './_components/pagination';
import { DeviceStatusChips } from './_components/status-chips';

export const metadata: Metadata = { title: 'Devices · EdgeFleet' };

function NoMatch({ params }: { params: ListParams }) {
  return (
    <div className="flex flex-col items-center px-6 py-12 text-center" data-testid="devices-no-match">
      <p className="text-sm font-medium text-slate-900">No devices match these filters</p>
      <Link
        href={listHref(params, { status: null, q: '', group: '', tag: '' })}
        className="mt-2 text-sm font-medium text-indigo-600 hover:text-indigo-500"
      >
        Clear filters
      </Link>
    </div>
  );
}

export default async function DevicesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = readListParams(await searchParams);
  const { caller } = await getCaller();
  const [me, counts, page, groups] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.devices.statusCounts()),
    guarded(() => caller.devices.list(toListQuery(params))),
    guarded(() => caller.groups.list()),
  ]);
  if (counts.forbidden || page.forbidden) {
    return <NotAllowed title="You can't view devices">Your role does not include the devices:read scope.</NotAllowed>;
  }
  const header = (
    <PageHeader
      title="Devices"
      description="Every edge box enrolled in this fleet: its status, group, certificate and last check-in."
      actions={
        <div className="flex flex-wrap gap-2">
          <Link href="/devices/groups" className={buttonStyles.secondary}>
            <FolderTree className="size-4" aria-hidden="true" />
            Groups
          </Link>
          <Link href="/devices/enroll" className={buttonStyles.primary}>
            <Plus className="size-4" aria-hidden="true" />
            Enroll devices
          </Link>
        </div>
      }
    />
  );

  const fleetSize = Object.values(counts.data).reduce((a, b) => a + b, 0);
  if (fleetSize === 0) {
    // Show the real device port and CA fingerprint when the user may read settings; placeholders otherwise.
    const info = await caller.system.info().catch(() => null);
    const command = agentEnrollCommand({
      host: hostFromHeader((await headers()).get('host')),
      devicePort: info?.devicePort ?? 8443,
      fingerprint: info?.caFingerprint ?? null,
    });
    return (
      <>
        {header}
        <DevicesEmpty agentCommand={command} />
      </>
    );
  }

  const { devices, nextCursor, total } = page.data;
  return (
    <>
      {header}
      <div className="space-y-4">
        <DeviceStatusChips params={params} counts={counts.data} />
        <Card>
          <DeviceFilters params={params} groups={groups.forbidden ? [] : groups.data} />
          {devices.length === 0 ? (
            <NoMatch params={params} />
          ) : (
            <DevicesTable
              devices={devices}
              params={params}
              canWrite={me.scopes.includes('devices:write')}
              now={Date.now()}
            />
          )}
          <DevicePagination params={params} nextCursor={nextCursor} shown={devices.length} total={total} />
        </Card>
      </div>
    </>
  );
}
