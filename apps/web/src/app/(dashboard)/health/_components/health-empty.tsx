import { Activity } from 'lucide-react';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';

/** No device has enrolled yet: what this page will show, and how to get there. */
export function HealthEmpty() {
  return (
    <EmptyState
      testId="health-empty"
      icon={Activity}
      title="No health data yet"
      description="Fleet health, model versions in service and alerts appear here once devices enroll and start reporting. Agents report automatically; there is nothing to configure."
      steps={[
        {
          title: 'Enroll a device',
          body: (
            <>
              Follow the steps on <InlineLink href="/devices">Devices</InlineLink>. An enrolled agent reports its health
              within a minute.
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
        {
          title: 'Set up alerts',
          body: (
            <>
              <InlineLink href="/alerts">Alert rules</InlineLink> watch CPU, temperature, error rates and latency, and
              notify your webhooks when a device goes wrong.
            </>
          ),
        },
      ]}
    />
  );
}
