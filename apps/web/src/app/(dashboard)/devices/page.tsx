import { Cpu } from 'lucide-react';
import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';
import { PageHeader } from '@/components/page-header';
import { getCaller } from '@/server/caller';

export const metadata: Metadata = { title: 'Devices · EdgeFleet' };

export default async function DevicesPage() {
  const { caller } = await getCaller();
  // Show the real device port when the user may read settings; the default otherwise.
  const devicePort = await caller.system.info().then(
    (i) => i.devicePort,
    () => 8443,
  );

  return (
    <>
      <PageHeader
        title="Devices"
        description="Every edge box enrolled in this fleet: its status, group, installed models and last check-in."
      />
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
                From a machine with the CLI and an <InlineLink href="/settings/tokens">API token</InlineLink> that can
                write devices, create a token for the group the device should join.
              </>
            ),
            command: 'npx edgefleet enroll-tokens create --group lab',
          },
          {
            title: 'Run the agent on the device',
            body: 'Install edgefleet-agent on the edge box and enroll it with the token. It creates its own key pair; the private key never leaves the box.',
            command: `edgefleet-agent enroll --server https://<host>:${devicePort} --token <token>`,
          },
        ]}
        footer={
          <>
            Next: <InlineLink href="/models">publish a model</InlineLink>, then roll it out to your devices.
          </>
        }
      />
    </>
  );
}
