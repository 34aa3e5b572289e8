'use client';

import { CodeBlock } from '@/components/code-block';
import { OneTimeSecret } from '@/components/one-time-secret';

/** The new enrollment token and the command that uses it. Only its hash is stored: this is the one time it is shown. */
export function EnrollTokenSecret({
  name,
  token,
  command,
  onDismiss,
}: {
  name: string;
  token: string;
  command: string;
  onDismiss: () => void;
}) {
  return (
    <OneTimeSecret
      title={<>Enrollment token “{name}” created — copy it now</>}
      description="This is the only time the token is shown. Anyone holding it can enroll devices under its policy until it expires, is used up or is revoked."
      secret={token}
      copyLabel="Copy enrollment token"
      testId="enroll-token-secret"
      onDismiss={onDismiss}
    >
      <p className="mt-4 mb-2 text-sm font-medium text-amber-900">Run this on the device:</p>
      <div data-testid="agent-command">
        <CodeBlock code={command} label="edgefleet-agent enroll" />
      </div>
    </OneTimeSecret>
  );
}
