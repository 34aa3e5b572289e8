import { Plus, Rocket } from 'lucide-react';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';

/** No rollout yet: what one is, and the way to start the first (or, read-only, who can). */
export function RolloutsEmpty({ canWrite }: { canWrite: boolean }) {
  return (
    <EmptyState
      testId="rollouts-empty"
      icon={Rocket}
      title="No rollouts yet"
      description="A rollout sends a published model version to a set of devices, phase by phase, and stops on its own when a health gate trips."
      steps={[
        {
          title: 'Publish a model version',
          body: (
            <>
              Rollouts deploy a signed version from the <InlineLink href="/models">model registry</InlineLink>, to{' '}
              <InlineLink href="/devices">devices</InlineLink> you have enrolled and accepted.
            </>
          ),
        },
        {
          title: 'Start a rollout',
          body: canWrite ? (
            <div className="space-y-3">
              <p>Target a group or tags, start with a small canary phase and widen it as health holds.</p>
              <Link href="/rollouts/new" className={buttonStyles.primary}>
                <Plus className="size-4" aria-hidden="true" />
                New rollout
              </Link>
            </div>
          ) : (
            'Operators and admins start rollouts here or from the CLI; you will see them on this page.'
          ),
          command: 'npx edgefleet rollouts create --model detector@1.0.0 --selector group=lab --phases 10,50,100',
        },
      ]}
    />
  );
}
