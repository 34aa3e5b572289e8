import { Activity } from 'lucide-react';
import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Health · EdgeFleet' };

export default function HealthPage() {
  return (
    <>
      <PageHeader
        title="Health"
        description="Fleet-wide metrics, inference latency and error rates, and the alerts that gate rollouts."
      />
      <EmptyState
        testId="health-empty"
        icon={Activity}
        title="No health data yet"
        description="Charts and alerts appear here once enrolled devices start reporting metrics and inference statistics. Agents report automatically; there is nothing to configure."
        steps={[
          {
            title: 'Enroll a device',
            body: (
              <>
                Follow the steps on <InlineLink href="/devices">Devices</InlineLink>. An enrolled agent reports its
                health within a minute.
              </>
            ),
          },
          {
            title: 'Roll out a model',
            body: (
              <>
                Once a <InlineLink href="/rollouts">rollout</InlineLink> runs, its health gates read the same metrics
                shown here and pause the rollout when they turn red.
              </>
            ),
          },
        ]}
      />
    </>
  );
}
