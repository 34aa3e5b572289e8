import { TRPCError } from '@trpc/server';
import { Boxes } from 'lucide-react';
import type { Metadata } from 'next';
import { BackLink } from '@/components/back-link';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { RolloutWizard } from './_components/rollout-wizard';

export const metadata: Metadata = { title: 'New rollout · EdgeFleet' };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';

export default async function NewRolloutPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const sp = await searchParams;
  const { caller } = await getCaller();
  const me = await caller.system.whoami();
  if (!me.scopes.includes('rollouts:write')) {
    return (
      <NotAllowed title="You can't start rollouts">Your role does not include the rollouts:write scope.</NotAllowed>
    );
  }
  const modelName = one(sp.model).slice(0, 128);
  const [models, groups, initialModel] = await Promise.all([
    guarded(() => caller.models.list()),
    guarded(() => caller.groups.list()),
    modelName
      ? caller.models.get({ name: modelName }).catch((e: unknown) => {
          if (e instanceof TRPCError && ['NOT_FOUND', 'BAD_REQUEST', 'FORBIDDEN'].includes(e.code)) return null;
          throw e;
        })
      : null,
  ]);
  if (models.forbidden) {
    return <NotAllowed title="You can't view models">Starting a rollout needs the models:read scope.</NotAllowed>;
  }

  return (
    <>
      <BackLink href="/rollouts">Rollouts</BackLink>
      <PageHeader
        title="New rollout"
        description="Send a published model version to a set of devices, phase by phase, while health gates hold."
      />
      {models.data.length === 0 ? (
        <EmptyState
          testId="wizard-no-models"
          icon={Boxes}
          title="Nothing to roll out yet"
          description="A rollout deploys a published model version. Publish one from CI first."
          footer={
            <>
              See <InlineLink href="/models">Models</InlineLink> for how to publish a version.
            </>
          }
        />
      ) : (
        <RolloutWizard
          models={models.data}
          groups={groups.forbidden ? [] : groups.data}
          initialModel={initialModel}
          initialVersion={one(sp.version).slice(0, 64)}
        />
      )}
    </>
  );
}
