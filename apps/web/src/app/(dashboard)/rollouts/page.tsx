import { Plus, Rocket } from 'lucide-react';
import type { Metadata } from 'next';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { Card } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { Pagination } from '@/components/pagination';
import { TableEmpty } from '@/components/table';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { ROLLOUT_PAGE_SIZE, readRolloutParams, rolloutsHref } from './_components/list-params';
import { RolloutsEmpty } from './_components/rollouts-empty';
import { RolloutsTable } from './_components/rollouts-table';
import { label } from './_components/states';
import { RolloutStatusChips } from './_components/status-chips';

export const metadata: Metadata = { title: 'Rollouts · EdgeFleet' };

export default async function RolloutsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = readRolloutParams(await searchParams);
  const { caller } = await getCaller();
  const [me, page] = await Promise.all([
    caller.system.whoami(),
    guarded(() =>
      caller.rollouts.list({
        ...(params.status ? { status: [params.status] } : {}),
        limit: ROLLOUT_PAGE_SIZE,
        cursor: params.cursor,
      }),
    ),
  ]);
  if (page.forbidden) {
    return <NotAllowed title="You can't view rollouts">Your role does not include the rollouts:read scope.</NotAllowed>;
  }
  const canWrite = me.scopes.includes('rollouts:write');
  const { items, nextCursor } = page.data;
  const filtered = params.status !== null || params.cursor !== null;

  return (
    <>
      <PageHeader
        title="Rollouts"
        description="Phased deployments of a model version to a set of devices, with health gates, pause and rollback."
        actions={
          canWrite ? (
            <Link href="/rollouts/new" className={buttonStyles.primary}>
              <Plus className="size-4" aria-hidden="true" />
              New rollout
            </Link>
          ) : null
        }
      />
      {items.length === 0 && !filtered ? (
        <RolloutsEmpty canWrite={canWrite} />
      ) : (
        <div className="space-y-4">
          <RolloutStatusChips params={params} />
          <Card>
            {items.length === 0 ? (
              <TableEmpty icon={Rocket} title={`No ${label(params.status ?? '')} rollouts`} testId="rollouts-no-match">
                <Link href="/rollouts" className="font-medium text-indigo-600 hover:text-indigo-500">
                  Show all rollouts
                </Link>
              </TableEmpty>
            ) : (
              <RolloutsTable rollouts={items} now={Date.now()} />
            )}
            <Pagination params={params} nextCursor={nextCursor} href={(change) => rolloutsHref(params, change)} />
          </Card>
        </div>
      )}
    </>
  );
}
