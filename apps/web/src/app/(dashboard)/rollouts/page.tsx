import { Rocket } from 'lucide-react';
import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Rollouts · EdgeFleet' };

export default function RolloutsPage() {
  return (
    <>
      <PageHeader
        title="Rollouts"
        description="Phased deployments of a model version to a set of devices, with health gates, pause and rollback."
      />
      <EmptyState
        testId="rollouts-empty"
        icon={Rocket}
        title="No rollouts yet"
        description="A rollout targets a published model version at a device selector and moves through phases while health gates stay green."
        steps={[
          {
            title: 'Publish a model first',
            body: (
              <>
                Rollouts deploy a version from the registry. See <InlineLink href="/models">Models</InlineLink> for how
                CI publishes one, and <InlineLink href="/devices">Devices</InlineLink> to enroll the boxes that will
                receive it.
              </>
            ),
          },
          {
            title: 'Start a rollout',
            body: 'Target a device group, start with a small canary phase and widen it as health holds.',
            command: 'npx edgefleet rollouts create --model detector@1.0.0 --selector group=lab --phases 10,50,100',
          },
        ]}
      />
    </>
  );
}
