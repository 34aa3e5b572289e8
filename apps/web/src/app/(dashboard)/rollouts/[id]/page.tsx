import { TRPCError } from '@trpc/server';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { BackLink } from '@/components/back-link';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { DEVICE_PAGE_SIZE } from './_components/page-size';
import { RolloutView } from './_components/rollout-view';

export const metadata: Metadata = { title: 'Rollout · EdgeFleet' };

const notFoundOn = (e: unknown): never => {
  if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
  throw e;
};

export default async function RolloutPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { caller } = await getCaller();
  const [me, rollout, devices] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.rollouts.get({ id }).catch(notFoundOn)),
    guarded(() => caller.rollouts.devices({ id, limit: DEVICE_PAGE_SIZE }).catch(notFoundOn)),
  ]);
  if (rollout.forbidden || devices.forbidden) {
    return <NotAllowed title="You can't view rollouts">Your role does not include the rollouts:read scope.</NotAllowed>;
  }
  return (
    <>
      <BackLink href="/rollouts">Rollouts</BackLink>
      <RolloutView
        initial={rollout.data}
        initialDevices={devices.data}
        canWrite={me.scopes.includes('rollouts:write')}
        serverNow={Date.now()}
      />
    </>
  );
}
