import { Cpu } from 'lucide-react';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';

/** The fleet has no devices at all: what will appear here and how to get the first one. */
export function DevicesEmpty({ agentCommand }: { agentCommand: string }) {
  return (
    <EmptyState
      testId="devices-empty"
      icon={Cpu}
      title="No devices enrolled yet"
      description="Once a device enrolls, it appears here with its hardware, agent version and health. Enroll your first box in two steps."
      steps={[
        {
          title: 'Create an enrollment token',
          body: (
            <>
              On the <InlineLink href="/devices/enroll">Enroll devices</InlineLink> page, or from the CLI with an{' '}
              <InlineLink href="/settings/tokens">API token</InlineLink> that can write devices, create a token for the
              group the device should join.
            </>
          ),
          command: 'npx edgefleet enroll-tokens create --group lab',
        },
        {
          title: 'Run the agent on the device',
          body: 'Install edgefleet-agent on the edge box and enroll it with the token. It creates its own key pair; the private key never leaves the box, and it pins this fleet’s CA by its fingerprint.',
          command: agentCommand,
        },
      ]}
      footer={
        <>
          Next: <InlineLink href="/models">publish a model</InlineLink>, then roll it out to your devices.
        </>
      }
    />
  );
}
