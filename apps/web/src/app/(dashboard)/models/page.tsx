import { Boxes } from 'lucide-react';
import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Models · EdgeFleet' };

export default function ModelsPage() {
  return (
    <>
      <PageHeader
        title="Models"
        description="The model registry: every published model version, its signed metadata, size and where it is deployed."
      />
      <EmptyState
        testId="models-empty"
        icon={Boxes}
        title="No models published yet"
        description="Models are published from CI: the pipeline signs the metadata with its own publisher key and uploads the artifact. The control plane never sees that key."
        steps={[
          {
            title: 'Create a CI token',
            body: (
              <>
                In <InlineLink href="/settings/tokens">Settings → API tokens</InlineLink>, create a token with the{' '}
                <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-800">
                  models:publish
                </code>{' '}
                scope and store it as a secret in your CI system.
              </>
            ),
          },
          {
            title: 'Publish a model version from CI',
            body: 'The CLI signs, uploads (streamed, content-addressed) and registers the version.',
            command:
              'EDGEFLEET_TOKEN=<token> npx edgefleet models publish ./model.onnx --name detector --version 1.0.0',
          },
        ]}
        footer={
          <>
            Next: <InlineLink href="/rollouts">start a rollout</InlineLink> to send the model to your{' '}
            <InlineLink href="/devices">devices</InlineLink>.
          </>
        }
      />
    </>
  );
}
