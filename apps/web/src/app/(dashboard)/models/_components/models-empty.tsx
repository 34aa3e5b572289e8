import { Boxes } from 'lucide-react';
import { EmptyState } from '@/components/empty-state';
import { InlineLink } from '@/components/inline-link';

const code = 'rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-800';

/** No published model yet: the CI path from a fresh publisher key to the first signed version. */
export function ModelsEmpty() {
  return (
    <EmptyState
      testId="models-empty"
      icon={Boxes}
      title="No models published yet"
      description="Models are published from CI: the pipeline signs the metadata with its own publisher key and uploads the artifact. The control plane only ever holds the public half of that key."
      steps={[
        {
          title: 'Generate a publisher key',
          body: (
            <>
              On the CI side. The private key (<code className={code}>publisher.key</code>, mode 0600) stays a CI
              secret; <code className={code}>publisher.key.pub</code> is what the control plane trusts.
            </>
          ),
          command: 'npx edgefleet keys generate --out publisher.key',
        },
        {
          title: 'Register the public key',
          body: (
            <>
              An admin registers it from the CLI, or pastes it in{' '}
              <InlineLink href="/settings/publisher-keys">Settings → Publisher keys</InlineLink>.
            </>
          ),
          command: 'npx edgefleet keys add --public publisher.key.pub --name ci-main',
        },
        {
          title: 'Create a CI token',
          body: (
            <>
              A token with only the <code className={code}>models:publish</code> scope (or create it in{' '}
              <InlineLink href="/settings/tokens">Settings → API tokens</InlineLink>), stored as{' '}
              <code className={code}>EDGEFLEET_TOKEN</code> in your CI secrets.
            </>
          ),
          command: 'npx edgefleet tokens create --name ci --scope models:publish',
        },
        {
          title: 'Publish a version',
          body: 'The CLI reads the tensor signature from the ONNX file, signs the metadata, then streams the upload. Versions are immutable once published.',
          command: 'npx edgefleet models publish ./model.onnx --model detector --version 1.0.0 --key publisher.key',
        },
      ]}
      footer={
        <>
          Next: <InlineLink href="/rollouts">start a rollout</InlineLink> to send the model to your{' '}
          <InlineLink href="/devices">devices</InlineLink>.
        </>
      }
    />
  );
}
